/**
 * A local stand-in for PagerDuty's Events API v2 (`POST /v2/enqueue`): checks each event against the
 * published format with its own zod schema (written from PagerDuty's documentation, not from PayRox's
 * sender, so a sender bug shows), answers 202 `{status:"success",…,dedup_key}` like PagerDuty or 400
 * `{status:"invalid event",…,errors}`, and keeps incidents by `dedup_key` the way PagerDuty does: a
 * trigger opens one (a repeat trigger on an open one is merged), a resolve closes it.
 */
import * as z from "zod";
import { parseJson, startHttpReceiver, type ReceivedRequest } from "./http-receiver.js";

const isoTimestamp = z.string().refine((t) => !Number.isNaN(Date.parse(t)) && /^\d{4}-\d{2}-\d{2}T/.test(t), "must be an ISO 8601 timestamp");

/** The trigger payload as documented. */
export const PagerDutyPayloadSchema = z.strictObject({
  summary: z.string().min(1).max(1024),
  source: z.string().min(1),
  severity: z.enum(["critical", "error", "warning", "info"]),
  timestamp: isoTimestamp.optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  custom_details: z.record(z.string(), z.unknown()).optional(),
});

const common = {
  routing_key: z.string().length(32),
  dedup_key: z.string().min(1).max(255),
  links: z.array(z.strictObject({ href: z.url(), text: z.string().optional() })).optional(),
  images: z.array(z.unknown()).optional(),
  client: z.string().optional(),
  client_url: z.string().optional(),
};

/** An Events API v2 event: a trigger carries a payload; acknowledge and resolve need only the key. */
export const PagerDutyEventSchema = z.discriminatedUnion("event_action", [
  z.strictObject({ ...common, event_action: z.literal("trigger"), payload: PagerDutyPayloadSchema }),
  z.strictObject({ ...common, event_action: z.enum(["acknowledge", "resolve"]), payload: PagerDutyPayloadSchema.partial().optional() }),
]);
/** A valid event. */
export type ReceivedPagerDutyEvent = z.infer<typeof PagerDutyEventSchema>;

/** An incident as the receiver tracks it. */
export interface LocalPagerDutyIncident {
  dedupKey: string;
  status: "triggered" | "resolved";
  /** Trigger events merged into it (a re-sent alert adds one; it never opens a second incident). */
  triggers: number;
  summary: string;
}

/** Options of {@link startPagerDutyReceiver}. */
export interface PagerDutyReceiverOptions {
  /** The routing key it accepts (others get 400, as an unknown integration key would). @default any 32 characters */
  routingKey?: string;
  /** @default a free port */
  port?: number;
  onEvent?: (event: ReceivedPagerDutyEvent) => void;
}

/** A running PagerDuty stand-in. */
export interface PagerDutyReceiver {
  /** Where to POST events (`…/v2/enqueue`). */
  url: string;
  /** Valid events, in arrival order (repeats included). */
  readonly events: ReceivedPagerDutyEvent[];
  /** Incidents by dedup key. */
  readonly incidents: Map<string, LocalPagerDutyIncident>;
  readonly requests: ReceivedRequest[];
  failNext(status: number, times?: number, retryAfterSeconds?: number): void;
  stop(): Promise<void>;
}

/**
 * Starts the PagerDuty stand-in on 127.0.0.1.
 * @example const pd = await startPagerDutyReceiver(); // PAYROX_PAGERDUTY_EVENTS_URL=pd.url
 */
export async function startPagerDutyReceiver(options: PagerDutyReceiverOptions = {}): Promise<PagerDutyReceiver> {
  const events: ReceivedPagerDutyEvent[] = [];
  const incidents = new Map<string, LocalPagerDutyIncident>();
  const invalid = (message: string, errors: string[]) => ({ status: 400, contentType: "application/json", body: JSON.stringify({ status: "invalid event", message, errors }), refused: errors[0] ?? message });
  const running = await startHttpReceiver("/v2/enqueue", options.port, (body) => {
    const parsed = PagerDutyEventSchema.safeParse(parseJson(body));
    if (!parsed.success) return invalid("Event object is invalid", parsed.error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`));
    const event = parsed.data;
    if (options.routingKey !== undefined && event.routing_key !== options.routingKey) return invalid("Event object is invalid", ["routing_key: unknown integration key"]);
    events.push(event);
    const known = incidents.get(event.dedup_key);
    if (event.event_action === "trigger") {
      if (known?.status === "triggered") known.triggers++;
      else incidents.set(event.dedup_key, { dedupKey: event.dedup_key, status: "triggered", triggers: 1, summary: event.payload.summary });
    } else if (event.event_action === "resolve" && known) known.status = "resolved";
    options.onEvent?.(event);
    return { status: 202, contentType: "application/json", body: JSON.stringify({ status: "success", message: "Event processed", dedup_key: event.dedup_key }) };
  });
  return { url: running.url, events, incidents, requests: running.requests, failNext: running.failNext, stop: running.stop };
}

/**
 * The settings of the native alert destinations, as zod schemas: the functions validate their
 * environment with them and the destinations their options, so one rule holds everywhere. Secrets (the
 * PagerDuty routing key, the Slack webhook URL, which embeds its own token) never appear in a message.
 */
import * as z from "zod";
import { AlertDestinationConfigError } from "../errors.js";

/** PagerDuty's Events API v2 endpoint (US service region; EU accounts use `https://events.eu.pagerduty.com/v2/enqueue`). */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** An https URL, or http on the loopback interface (local receivers in tests and on the devnet). */
export const deliveryUrl = z.url({ error: "must be a URL" }).refine(
  (text) => {
    const url = new URL(text);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  },
  { error: "must be an https URL (http only on 127.0.0.1 / localhost)" },
);

/** An Events API v2 integration (routing) key: 32 letters and digits. */
export const pagerDutyRoutingKey = z.string({ error: "is required" }).regex(/^[A-Za-z0-9]{32}$/, { error: "must be an Events API v2 integration key (32 letters and digits)" });

/** Settings of the PagerDuty destination. */
export const PagerDutyConfigSchema = z.strictObject({
  routingKey: pagerDutyRoutingKey,
  /** @default PAGERDUTY_EVENTS_URL */
  eventsUrl: deliveryUrl.default(PAGERDUTY_EVENTS_URL),
  /** `payload.source` of alerts without a network. @default "payrox" */
  source: z.string().min(1).max(255).optional(),
});
/** Input of {@link PagerDutyConfigSchema}. */
export type PagerDutyConfig = z.input<typeof PagerDutyConfigSchema>;

/** Settings of the Slack destination: the channel's incoming-webhook URL. */
export const SlackConfigSchema = z.strictObject({ webhookUrl: deliveryUrl });
/** Input of {@link SlackConfigSchema}. */
export type SlackConfig = z.input<typeof SlackConfigSchema>;

/**
 * Parses `input` with `schema`.
 * @throws AlertDestinationConfigError naming the first bad field (never echoing a value)
 */
export function parseDestinationConfig<S extends z.ZodType>(destination: string, schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new AlertDestinationConfigError(destination, issue.path.map(String).join(".") || "(options)", issue.message);
}

/**
 * A local stand-in for a Slack incoming webhook: checks each message against Slack's documented format
 * (its own zod schema: `text` and/or Block Kit `blocks` with Slack's length limits, mrkdwn with `<`,
 * `>` and `&` escaped outside links), answers 200 `ok` like Slack, or 400 `invalid_payload` /
 * `no_text`. Slack has no dedupe: every accepted message is kept, so a test sees a duplicate.
 */
import * as z from "zod";
import { parseJson, startHttpReceiver, type ReceivedRequest } from "./http-receiver.js";

const plain = (max: number) => z.strictObject({ type: z.literal("plain_text"), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
/** Outside <url|label> links, mrkdwn must not hold a raw < or >, and & must start an entity. */
const escapedMrkdwn = (text: string) => !/[<>]/.test(text.replace(/<https?:\/\/[^<>\s]*>/g, "")) && !/&(?!amp;|lt;|gt;)/.test(text);
const ESCAPE_RULE = "mrkdwn text must escape <, > and & (links only as <https://…|label>)";
const mrkdwn = (max: number) => z.strictObject({ type: z.literal("mrkdwn"), text: z.string().min(1).max(max), verbatim: z.boolean().optional() }).refine((t) => escapedMrkdwn(t.text), ESCAPE_RULE);
const text = (max: number) => z.union([plain(max), mrkdwn(max)]);

/** The blocks a message may carry (the subset an alert uses, plus divider). */
export const SlackBlockSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("header"), text: plain(150), block_id: z.string().optional() }),
  z.strictObject({ type: z.literal("section"), text: text(3000).optional(), fields: z.array(text(2000)).max(10).optional(), block_id: z.string().optional() }).refine((s) => s.text || s.fields?.length, "a section needs text or fields"),
  z.strictObject({ type: z.literal("context"), elements: z.array(text(2000)).min(1).max(10), block_id: z.string().optional() }),
  z.strictObject({ type: z.literal("divider"), block_id: z.string().optional() }),
]);

/** An incoming-webhook message. */
export const SlackMessageSchema = z.strictObject({
  text: z.string().max(40_000).refine(escapedMrkdwn, ESCAPE_RULE).optional(),
  blocks: z.array(SlackBlockSchema).max(50).optional(),
  mrkdwn: z.boolean().optional(),
  unfurl_links: z.boolean().optional(),
});
/** A valid message. */
export type ReceivedSlackMessage = z.infer<typeof SlackMessageSchema>;

/** A running Slack stand-in. */
export interface SlackReceiver {
  url: string;
  /** Accepted messages, in arrival order (duplicates included: Slack keeps them). */
  readonly messages: ReceivedSlackMessage[];
  readonly requests: ReceivedRequest[];
  failNext(status: number, times?: number, retryAfterSeconds?: number): void;
  stop(): Promise<void>;
}

/**
 * Starts the Slack stand-in on 127.0.0.1.
 * @example const slack = await startSlackReceiver(); // PAYROX_SLACK_WEBHOOK_URL=slack.url
 */
export async function startSlackReceiver(options: { port?: number; onMessage?: (message: ReceivedSlackMessage) => void } = {}): Promise<SlackReceiver> {
  const messages: ReceivedSlackMessage[] = [];
  const running = await startHttpReceiver("/services/T000/B000/local", options.port, (body) => {
    const parsed = SlackMessageSchema.safeParse(parseJson(body));
    if (!parsed.success) return { status: 400, contentType: "text/plain", body: "invalid_payload", refused: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
    if (!parsed.data.text?.trim()) return { status: 400, contentType: "text/plain", body: "no_text", refused: "no_text" };
    messages.push(parsed.data);
    options.onMessage?.(parsed.data);
    return { status: 200, contentType: "text/plain", body: "ok" };
  });
  return { url: running.url, messages, requests: running.requests, failNext: running.failNext, stop: running.stop };
}

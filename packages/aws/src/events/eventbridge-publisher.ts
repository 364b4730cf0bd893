/**
 * Domain events (step done, alert raised) on an EventBridge bus, for rules that fan them out to API
 * destinations, queues or dashboards.
 */
import { EventBridgeClient, PutEventsCommand, type EventBridgeClientConfig, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { EventPublishError, type FailedEventEntry } from "../errors.js";
import { DEFAULT_EVENT_SOURCE, type DomainEvent } from "./domain-events.js";

export { DomainEventType, DEFAULT_EVENT_SOURCE, type DomainEvent } from "./domain-events.js";

/** Options of {@link EventBridgePublisher}. */
export interface EventBridgePublisherOptions {
  /** Region and credentials come from the client. */
  client: EventBridgeClient;
  /** @default "default" */
  eventBusName?: string;
  /** @default "payrox" */
  source?: string;
}

/** PutEvents accepts at most 10 entries per call. */
const MAX_ENTRIES_PER_CALL = 10;

/** Publishes domain events with PutEvents. */
export class EventBridgePublisher {
  readonly #client: EventBridgeClient;
  /** The bus events go to. */
  readonly eventBusName: string;
  /** The `source` of every event. */
  readonly source: string;

  constructor(options: EventBridgePublisherOptions) {
    this.#client = options.client;
    this.eventBusName = options.eventBusName ?? "default";
    this.source = options.source ?? DEFAULT_EVENT_SOURCE;
  }

  /**
   * Puts the events, 10 per call; every call is attempted even if an earlier one failed.
   * @throws EventPublishError listing every event that was not put (refused entries and whole failed calls).
   */
  async publish(events: readonly DomainEvent[]): Promise<void> {
    const failed: FailedEventEntry[] = [];
    let firstCause: unknown;
    for (let start = 0; start < events.length; start += MAX_ENTRIES_PER_CALL) {
      const chunk = events.slice(start, start + MAX_ENTRIES_PER_CALL);
      try {
        const result = await this.#client.send(new PutEventsCommand({ Entries: chunk.map((event) => this.#entry(event)) }));
        if (!result.FailedEntryCount) continue;
        (result.Entries ?? []).forEach((entry, i) => {
          if (entry.ErrorCode || !entry.EventId) failed.push({ index: start + i, detailType: chunk[i]!.detailType, errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage });
        });
      } catch (error) {
        firstCause ??= error;
        const errorCode = (error as Error | undefined)?.name;
        chunk.forEach((event, i) => failed.push({ index: start + i, detailType: event.detailType, errorCode, errorMessage: (error as Error | undefined)?.message }));
      }
    }
    if (failed.length) throw new EventPublishError(this.eventBusName, failed, firstCause === undefined ? undefined : { cause: firstCause });
  }

  #entry(event: DomainEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.eventBusName,
      Source: this.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      Time: event.atMs === undefined ? undefined : new Date(event.atMs),
      Resources: event.resources,
    };
  }
}

/** An EventBridge client (built here, like `createSsmClient`: callers loading this module lazily need no SDK import of their own). */
export function createEventBridgeClient(config: EventBridgeClientConfig = {}): EventBridgeClient {
  return new EventBridgeClient(config);
}

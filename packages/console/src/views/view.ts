/** What every view shares: the API client, a region to draw in, and a poll that redraws on change. */
import type { ApiClient } from "../api-client.js";

/** A mounted view: `poll` re-reads its resources (ETag revalidation) and redraws what changed. */
export interface View {
  poll(): Promise<void>;
  /** Called every second for clocks (countdowns, the now-line); no network. */
  tick?(): void;
}

/** What a view is built with. */
export interface ViewContext {
  api: ApiClient;
  root: HTMLElement;
  /** The route's parameters (`id`) and query (`state`). */
  params: Record<string, string>;
}

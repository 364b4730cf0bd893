/** Memoisation of what a container builds once. */

/**
 * Memoises an async build, but forgets a failure: a store or RPC that did not answer on the first build
 * is asked again by the next invocation (a malformed policy fails again, as it should).
 */
export function onceSucceeded<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () =>
    (built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    }));
}

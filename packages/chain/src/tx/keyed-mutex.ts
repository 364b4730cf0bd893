/** An async mutex per key: callers of one key run one at a time, in arrival order; keys don't block each other. */
export class KeyedMutex {
  /** Tail of each key's queue: resolves when the last queued holder is done. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `critical` once every earlier holder of `key` has finished, and returns its result. */
  async runExclusive<T>(key: string, critical: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await critical();
    } finally {
      done();
      // Forget the key once nobody queued behind us, so the map does not grow with every signer.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

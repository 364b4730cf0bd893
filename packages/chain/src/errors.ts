/**
 * Every error @payrox/chain throws. A caller can rely on `instanceof ChainError` and walk `cause`.
 */

/** Root of @payrox/chain's errors: sets `name`, keeps `cause`. */
export class ChainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

// ── KMS signer errors ────────────────────────────────────────────────────────

// ── transaction lifecycle errors ─────────────────────────────────────────────

// ── relay errors ─────────────────────────────────────────────────────────────

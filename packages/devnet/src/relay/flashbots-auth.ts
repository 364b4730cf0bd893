/** Verification of the `X-Flashbots-Signature` header, exactly as `@flashbots/ethers-provider-bundle` signs it. */
import { getAddress, keccak256, verifyMessage } from "ethers";

/** Outcome of {@link verifyFlashbotsSignature}: the searcher's address, or why the header is rejected. */
export type FlashbotsAuth = { ok: true; address: string } | { ok: false; reason: string };

/**
 * Checks `X-Flashbots-Signature: <address>:<signature>`, where the signature is an EIP-191 `signMessage`
 * of the 0x-prefixed hex string `keccak256(body)` (the library calls `signMessage(id(body))`, so the
 * signed message is that 66-character string, not the 32 bytes).
 */
export function verifyFlashbotsSignature(header: string | undefined, body: Buffer, allowedSigners?: readonly string[]): FlashbotsAuth {
  if (!header) return { ok: false, reason: "missing X-Flashbots-Signature header" };
  const separator = header.indexOf(":");
  if (separator < 0) return { ok: false, reason: "X-Flashbots-Signature must be <address>:<signature>" };
  let claimed: string;
  let recovered: string;
  try {
    claimed = getAddress(header.slice(0, separator));
    recovered = verifyMessage(keccak256(body), header.slice(separator + 1));
  } catch {
    return { ok: false, reason: "malformed address or signature in X-Flashbots-Signature" };
  }
  if (recovered !== claimed) return { ok: false, reason: `signature does not recover to ${claimed}` };
  if (allowedSigners && !allowedSigners.some((a) => a.toLowerCase() === claimed.toLowerCase())) {
    return { ok: false, reason: `searcher ${claimed} is not allowed by this relay` };
  }
  return { ok: true, address: claimed };
}

/** Formatting of what the API returns: hashes, times, durations, gas. No domain logic. */

/** `0x1234…abcd` for a long hex value; the full value goes in a `title`. */
export function short(hex: string | undefined, keep = 6): string {
  if (!hex) return "—";
  return hex.length > 2 * keep + 4 ? `${hex.slice(0, keep + 2)}…${hex.slice(-keep)}` : hex;
}

/** A unix-ms time as `HH:MM:SS` (UTC) with the date when it is not today. */
export function time(ms: number | undefined): string {
  if (ms === undefined) return "—";
  const iso = new Date(ms).toISOString();
  return new Date().toISOString().slice(0, 10) === iso.slice(0, 10) ? `${iso.slice(11, 19)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A signed duration in words: `in 1 m 05 s`, `12 s ago`. */
export function relative(deltaMs: number): string {
  const s = Math.round(Math.abs(deltaMs) / 1000);
  const text = s >= 3600 ? `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} m` : s >= 60 ? `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
  return deltaMs >= 0 ? `in ${text}` : `${text} ago`;
}

/** A decimal gas figure with thousands separators. */
export function gas(value: string | number | undefined): string {
  if (value === undefined) return "—";
  return BigInt(value).toLocaleString("en-US");
}

/** Wei (decimal string) in the native unit with up to 6 decimals. */
export function ether(wei: string | undefined, symbol = "ETH"): string {
  if (wei === undefined) return "—";
  const v = BigInt(wei);
  const whole = v / 10n ** 18n;
  const frac = (v % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""} ${symbol}`;
}

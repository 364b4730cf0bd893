/** State badges: an icon and the state in words on an AA-contrast colour, so colour never carries meaning alone. */
import { h } from "../dom.js";

const TONES: Record<string, { tone: string; icon: string }> = {
  ACTIVATED: { tone: "ok", icon: "✓" },
  APPROVED: { tone: "ok", icon: "✓" },
  FAILED: { tone: "bad", icon: "✕" },
  REJECTED: { tone: "bad", icon: "✕" },
  EXPIRED: { tone: "bad", icon: "⌛" },
  CANCELLED: { tone: "muted", icon: "⊘" },
  LATE: { tone: "warn", icon: "⚠" },
  AWAITING_APPROVAL: { tone: "wait", icon: "…" },
};

/** A badge for a run or approval state. */
export function stateBadge(state: string, text = state.replace(/_/g, " ")): HTMLElement {
  const { tone, icon } = TONES[state] ?? { tone: "busy", icon: "▶" };
  return h("span", { class: `badge ${tone}`, "data-state": state }, h("span", { "aria-hidden": "true" }, icon + " "), text);
}

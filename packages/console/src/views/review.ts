/**
 * `#/proposals/{id}/review`: what the proposal will do per network (diff, code hash checks, drift, plan,
 * cost), the approvals so far, and Approve / Reject signed with the browser wallet. The review reads every
 * chain, so it is read when the view opens (and on "Read again"), not polled; the approvals are polled.
 */
import { ApiRequestError } from "../api-client.js";
import type { ApprovalsAnswer } from "../api-types.js";
import { h, replace } from "../dom.js";
import { hashTypedData, type TypedData } from "../eip712.js";
import { ether, gas, short, time } from "../format.js";
import { connectedAccount, signTypedData } from "../wallet.js";
import { stateBadge } from "./badges.js";
import type { View, ViewContext } from "./view.js";

interface ReviewNetwork {
  network: string;
  ok: boolean;
  error?: { code: string; message: string };
  diff?: { added: unknown[]; replaced: unknown[]; removed: unknown[]; unchanged: number };
  codehashMismatches?: { facet: string; facetName?: string; expected: string; actual: string | null }[];
  drift?: { drifted: boolean; sinceProposal?: boolean };
  plan?: { batches: number; totalGas: number | string };
  cost?: { symbol: string; low: string; mid: string; high: string };
  costUnavailable?: string;
}

interface ReviewAnswer {
  name: string;
  root: string;
  reviewedAtMs: number;
  networks: ReviewNetwork[];
  totals: { symbol: string; networks: string[] | number; low: string; mid: string; high: string }[];
  approval?: { status: string; threshold: number; typedData: TypedData; digest: string };
}

/** The review view. */
export function reviewView({ api, root, params }: ViewContext): View {
  const path = `/proposals/${encodeURIComponent(params.id!)}`;
  const reviewRegion = h("section", { "aria-labelledby": "review-h", "aria-busy": "true" }, h("h2", { id: "review-h" }, "Review"), h("p", null, "Reading every network…"));
  const approvalsRegion = h("section", { "aria-labelledby": "approvers-h" });
  const status = h("p", { id: "sign-status", role: "status", "aria-live": "polite" });
  const digestBox = h("div", { id: "digest" });
  let review: ReviewAnswer | undefined;
  let approvals: ApprovalsAnswer | undefined;

  const sign = (action: "Approve" | "Reject") => async () => {
    try {
      if (!review?.approval || !approvals) throw new Error("this proposal is not under an approval policy: nothing to sign");
      const account = await connectedAccount();
      const me = approvals.approvers.find((a) => a.address.toLowerCase() === account.toLowerCase());
      if (!me) throw new Error(`${account} is not an approver of this deployment's policy`);
      // The typed data comes from the API; the action and the approver's next nonce are set here, and the
      // digest the wallet signs is computed here from that data, shown, and checked against the API's.
      const base = review.approval.typedData;
      const data: TypedData = { ...base, primaryType: action, types: { [action]: base.types[base.primaryType]!, Target: base.types.Target! }, message: { ...base.message, nonce: me.nextNonce } };
      const hashes = hashTypedData(data);
      replace(digestBox, h("h3", null, `${action} as ${me.id} (nonce ${me.nextNonce})`), h("dl", null, h("dt", null, "Domain separator"), h("dd", null, h("code", null, hashes.domainSeparator)), h("dt", null, "Struct hash"), h("dd", null, h("code", null, hashes.structHash)), h("dt", null, "Digest your wallet signs"), h("dd", null, h("code", { id: "digest-value" }, hashes.digest))));
      const apiDigest = hashTypedData(base).digest;
      if (apiDigest !== review.approval.digest) throw new Error(`the API's digest ${review.approval.digest} is not the hash of the typed data it sent (${apiDigest}): not signing`);
      status.textContent = `Waiting for your wallet to sign digest ${short(hashes.digest, 8)}…`;
      const signature = await signTypedData(account, data);
      const result = await api.post<{ status: string; approvals: number; threshold: number }>(`${path}/approvals`, { action, nonce: me.nextNonce, signature });
      status.textContent = `✓ ${action} recorded: ${result.approvals}/${result.threshold} approvals, ${result.status.replace(/_/g, " ")}`;
      await pollApprovals();
    } catch (error) {
      status.textContent = `✕ ${error instanceof ApiRequestError ? `${error.code}: ` : ""}${(error as Error).message}`;
    }
  };

  replace(
    root,
    h("h1", null, "Review ", h("a", { href: `#${path}` }, params.id)),
    reviewRegion,
    approvalsRegion,
    h(
      "section",
      { "aria-labelledby": "sign-h" },
      h("h2", { id: "sign-h" }, "Sign with your wallet"),
      h("p", null, "The console computes the EIP-712 digest from the typed data itself and shows it before your wallet signs."),
      h("button", { type: "button", id: "approve", onclick: sign("Approve") }, "✓ Approve"),
      " ",
      h("button", { type: "button", id: "reject", class: "danger", onclick: sign("Reject") }, "✕ Reject"),
      status,
      digestBox,
    ),
  );

  async function readReview(): Promise<void> {
    reviewRegion.setAttribute("aria-busy", "true");
    try {
      review = (await api.get<ReviewAnswer>(`${path}/review`)).data;
      drawReview(review);
    } catch (error) {
      replace(reviewRegion, h("h2", { id: "review-h" }, "Review"), h("p", { role: "alert" }, `✕ ${(error as Error).message}`));
    }
    reviewRegion.setAttribute("aria-busy", "false");
  }

  function drawReview(r: ReviewAnswer): void {
    replace(
      reviewRegion,
      h("h2", { id: "review-h" }, "Review"),
      h("p", null, `Read at ${time(r.reviewedAtMs)} `, h("button", { type: "button", onclick: () => void readReview() }, "Read again")),
      r.approval && h("p", null, "Approval digest (Approve, nonce 0): ", h("code", { id: "review-digest" }, r.approval.digest), " ", digestCheck(r.approval.typedData, r.approval.digest)),
      h("p", null, "Estimated cost: ", r.totals.map((t) => `${ether(t.low, t.symbol)} – ${ether(t.high, t.symbol)} on ${Array.isArray(t.networks) ? t.networks.length : t.networks} network(s)`).join("; ") || "unavailable"),
      h(
        "table",
        null,
        h("thead", null, h("tr", null, ...["Network", "Added", "Replaced", "Removed", "Code hashes", "Drift", "Batches / gas", "Cost (mid)"].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          null,
          ...r.networks.map((n) =>
            n.ok
              ? h(
                  "tr",
                  null,
                  h("th", { scope: "row" }, n.network),
                  h("td", null, String(n.diff?.added.length ?? 0)),
                  h("td", null, String(n.diff?.replaced.length ?? 0)),
                  h("td", null, String(n.diff?.removed.length ?? 0)),
                  h("td", null, n.codehashMismatches?.length ? h("span", { class: "badge bad" }, `✕ ${n.codehashMismatches.length} mismatch: ${n.codehashMismatches.map((m) => `${m.facetName ?? short(m.facet)} expected ${short(m.expected)} actual ${short(m.actual ?? "none")}`).join("; ")}`) : "✓ match"),
                  h("td", null, n.drift?.drifted ? "⚠ drifted" : "✓ none"),
                  h("td", null, `${n.plan?.batches ?? "—"} / ${gas(n.plan?.totalGas)}`),
                  h("td", null, n.cost ? ether(n.cost.mid, n.cost.symbol) : (n.costUnavailable ?? "—")),
                )
              : h("tr", null, h("th", { scope: "row" }, n.network), h("td", { colspan: "7" }, `✕ ${n.error?.code}: ${n.error?.message}`)),
          ),
        ),
      ),
    );
  }

  /** Whether the API's digest is the hash of the typed data it sent, computed here. */
  function digestCheck(data: TypedData, digest: string): HTMLElement {
    try {
      const ours = hashTypedData(data).digest;
      return ours === digest ? h("span", { class: "badge ok", id: "digest-check" }, "✓ computed in this page from the typed data: same") : h("span", { class: "badge bad", id: "digest-check" }, `✕ this page computes ${ours} from the typed data: do not sign`);
    } catch (error) {
      return h("span", { class: "badge bad", id: "digest-check" }, `✕ the typed data can't be hashed: ${(error as Error).message}`);
    }
  }

  async function pollApprovals(): Promise<void> {
    const answer = await api.get<ApprovalsAnswer>(`${path}/approvals`).catch((error: unknown) => {
      if (error instanceof ApiRequestError && error.code === "not-under-policy") return undefined;
      throw error;
    });
    if (!answer || (!answer.changed && approvals)) return;
    approvals = answer.data;
    replace(
      approvalsRegion,
      h("h2", { id: "approvers-h" }, "Approvals"),
      h("p", { id: "approval-count" }, stateBadge(approvals.status), ` ${approvals.approved}/${approvals.threshold} approvals · deadline ${approvals.deadline}`),
      h("ul", null, ...approvals.approvers.map((a) => h("li", null, `${a.id} `, h("code", { title: a.address }, short(a.address)), ` — ${a.status}${a.at ? ` at ${a.at}` : ""}`))),
    );
  }

  void readReview();
  return { poll: pollApprovals };
}

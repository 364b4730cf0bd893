/**
 * `payrox review`'s human form (the table per network and the digest block) from a review as the API
 * answers it; the bin against the real API on anvil and DynamoDB Local is in functions/tests/api-review-e2e.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { ReviewProposalReturnType } from "@payrox/core";
import { formatReview, native } from "../src/commands/review.js";

const H = (c: string) => `0x${c.repeat(64)}`;
const A = (c: string) => `0x${c.repeat(40)}`;

function reviewFixture(): ReviewProposalReturnType {
  return {
    proposalId: "p-1",
    name: "epoch-2",
    root: H("a"),
    leafCount: 3,
    reviewedAtMs: Date.UTC(2026, 11, 6, 12),
    networks: [
      {
        network: "ethereum",
        ok: true,
        chainId: 1,
        runState: "PROPOSED",
        block: { number: 21_000_000, hash: H("b"), timestamp: Date.UTC(2026, 11, 6, 12) / 1000 },
        dispatcher: { activeEpoch: 4, activeRoot: H("c"), pendingRoot: null, paused: false, activationDelaySeconds: 86_400, expiryWindowSeconds: 604_800 },
        diff: {
          added: [{ selector: "0x11111111", signature: "mint()", new: { facet: A("1"), codehash: H("1") } }],
          replaced: [{ selector: "0x22222222", signature: "burn()", old: { facet: A("2"), codehash: H("2") }, new: { facet: A("1"), codehash: H("1") } }],
          removed: [{ selector: "0x33333333", signature: "", old: { facet: A("2"), codehash: null } }],
          unchanged: 0,
          removalsNotLive: [],
        },
        codehashMismatches: [{ facet: A("1"), facetName: "TokenFacet", expected: H("1"), actual: null }],
        drift: { base: { epoch: 3, root: H("d") }, atProposal: { epoch: 3, root: H("d") }, live: { epoch: 4, root: H("c") }, drifted: true, sinceProposal: true },
        plan: { steps: [{ step: "commit", estimatedGas: 96_000 }, { step: "apply", batch: 0, leaves: 3, estimatedGas: 150_000 }, { step: "activate", estimatedGas: 54_000 }], batches: 1, totalGas: 300_000 },
        cost: { symbol: "ETH", decimals: 18, baseFeePerGas: "10000000000", priorityFeePerGas: { low: "1000000000", mid: "1500000000", high: "2000000000" }, percentiles: [25, 50, 75], low: "3300000000000000", mid: "3450000000000000", high: "3600000000000000" },
        timeline: { committed: false, commitAtMs: Date.UTC(2026, 11, 6, 12), etaMs: Date.UTC(2026, 11, 7, 12), activateAtMs: Date.UTC(2026, 11, 7, 12), expiresAtMs: Date.UTC(2026, 11, 14, 12), cutoverAfterExpiry: false },
      },
      { network: "base", ok: false, error: { code: "network-unreadable", message: "could not read base: timeout; review again in a moment" } },
    ],
    totals: [{ symbol: "ETH", networks: ["ethereum"], low: "3300000000000000", mid: "3450000000000000", high: "3600000000000000" }],
    timeline: { createdAtMs: Date.UTC(2026, 11, 6, 11), earliestCommitAtMs: null, cutoverAtMs: null, approvalDeadlineMs: Date.UTC(2026, 11, 8) },
    approval: {
      status: "AWAITING_APPROVAL",
      threshold: 2,
      nonce: 0,
      typedData: { domain: { name: "PayRox", version: "1", salt: H("e") }, types: { Approve: [{ name: "proposalId", type: "string" }] }, primaryType: "Approve", message: { proposalId: "p-1" } },
      domainSeparator: H("f"),
      structHash: H("9"),
      digest: H("8"),
    },
  };
}

describe("formatReview", () => {
  it("prints each network's block, changes, flagged mismatches, drift, plan, cost and timeline", () => {
    // Act
    const text = formatReview(reviewFixture());
    // Assess
    expect(text).toContain(
      [
        "network   block     added  replaced  removed  code hashes  drift    gas      cost (mid)   cut-over",
        "ethereum  21000000  1      1         1        1 MISMATCH   DRIFTED  300,000  0.00345 ETH  2026-12-07T12:00:00Z",
        "base      -         -      -         -        -            -        -        -            NOT REVIEWED (network-unreadable)",
      ].join("\n"),
    );
    expect(text).toContain(`ethereum (chain 1) at block 21000000 ${H("b")} (2026-12-06T12:00:00Z)`);
    expect(text).toContain("changes: 1 added, 1 replaced, 1 removed, 0 unchanged");
    expect(text).toContain(`+ 0x11111111 mint()  -> ${A("1")} (code ${H("1")})`);
    expect(text).toContain(`~ 0x22222222 burn()  ${A("2")} (code ${H("2")}) -> ${A("1")} (code ${H("1")})`);
    expect(text).toContain(`- 0x33333333 (no signature)  ${A("2")} (code none)`);
    expect(text).toContain(`! TokenFacet ${A("1")}: manifest ${H("1")}, on chain no code`);
    expect(text).toContain("DRIFTED: live epoch 4");
    expect(text).toContain("CHANGED since the proposal");
    expect(text).toContain("plan: commit 96,000 | apply #0 (3 leaves) 150,000 | activate 54,000");
    expect(text).toContain("cost (ETH): low 0.0033  mid 0.00345  high 0.0036  (base fee 10 + priority p25/p50/p75 1/1.5/2 gwei)");
    expect(text).toContain("timeline: commit 2026-12-06T12:00:00Z, ETA 2026-12-07T12:00:00Z, cut-over 2026-12-07T12:00:00Z, expiry 2026-12-14T12:00:00Z");
    expect(text).toContain("base: NOT REVIEWED (network-unreadable): could not read base: timeout");
    expect(text).toContain("ETH: low 0.0033  mid 0.00345  high 0.0036  (ethereum)");
  });

  it("prints the approval digest in full, then the typed data", () => {
    // Act
    const text = formatReview(reviewFixture());
    // Assess
    expect(text).toContain(`  domain separator  ${H("f")}\n  message hash      ${H("9")}\n  digest            ${H("8")}\ntyped data:\n{`);
    expect(text).toContain('"primaryType": "Approve"');
  });
});

describe("native", () => {
  it("formats wei with 18 decimals and thousands separators, trailing zeros trimmed", () => {
    expect(native("1234500000000000000000")).toBe("1,234.5");
    expect(native("1")).toBe("0.000000000000000001");
    expect(native("0")).toBe("0");
  });
});

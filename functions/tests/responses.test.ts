/** The API's error mapping (pure: no services). */
import { BundleSimulationRevertedError, RelayRefusedError, RelayUnavailableError, TxConfirmationTimeoutError } from "@payrox/chain";
import { NetworkBusyError, NetworkGasCapError, ProposalRejectedError, ProposalRejection } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { json, knownErrorResponse, withEtag } from "../src/api/responses.js";

describe("knownErrorResponse", () => {
  it("answers 400 naming the network, its per-transaction limit and the call when a manifest can't fit it", () => {
    // Prepare
    const error = new NetworkGasCapError("ethereum", 16_777_216, "activate", 17_000_000, "networks[0]", "the manifest's activate needs ~17,000,000");
    // Act
    const response = knownErrorResponse(error)!;
    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: "over-network-gas-cap", message: expect.stringContaining("ethereum allows at most 16,777,216 gas per transaction"), field: "networks[0]", network: "ethereum", maxTxGas: 16_777_216, call: "activate", gas: 17_000_000 },
    });
  });

  it("answers 400 unsupported-network for ZKsync Era", () => {
    const response = knownErrorResponse(new ProposalRejectedError(ProposalRejection.UNSUPPORTED_NETWORK, "networks[1]", "ZKsync Era (zksync-era) derives CREATE2 addresses differently"))!;
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toMatchObject({ code: "unsupported-network", field: "networks[1]" });
  });

  it("answers 409 network-busy naming the network and the proposal holding it", () => {
    const response = knownErrorResponse(new NetworkBusyError("devnet-1", "p-holder"))!;
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body).error).toMatchObject({ code: "network-busy", network: "devnet-1", holder: "p-holder", message: expect.stringContaining("p-holder") });
  });

  it("answers 503 with Retry-After, never 500, when a relay or the chain did not take a transaction yet", () => {
    const cases: [Error, string][] = [
      [new RelayUnavailableError("devnet-1", [{ relay: "flashbots", reason: "nonce too high" }], false), "relay-unavailable"],
      [new RelayRefusedError("flashbots", "HTTP 502"), "relay-unavailable"],
      [new BundleSimulationRevertedError("flashbots", "0xabc", "PendingRootExists"), "relay-unavailable"],
      [new TxConfirmationTimeoutError("p:devnet-1:cancel:0", ["0xabc"], 600_000), "not-confirmed-yet"],
      [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "NETWORK_ERROR" }), "network-unavailable"],
    ];
    for (const [error, code] of cases) {
      const response = knownErrorResponse(error)!;
      expect(response.statusCode, code).toBe(503);
      expect(response.headers).toMatchObject({ "retry-after": expect.any(String) });
      expect(JSON.parse(response.body).error.code).toBe(code);
    }
  });
});

describe("withEtag", () => {
  it("tags a 200 with a strong ETag of its body and asks clients to revalidate", () => {
    // Prepare
    const response = json(200, { a: 1 });
    // Act
    const tagged = withEtag(response, undefined);
    // Assess
    expect(tagged.statusCode).toBe(200);
    expect(tagged.body).toBe(response.body);
    expect(tagged.headers).toMatchObject({ etag: expect.stringMatching(/^"[A-Za-z0-9_-]{32}"$/), "cache-control": "no-cache", "content-type": "application/json" });
    expect(withEtag(json(200, { a: 2 }), undefined).headers!.etag).not.toBe(tagged.headers!.etag);
  });

  it("answers 304 without a body when If-None-Match names the current tag (also weak or in a list)", () => {
    // Prepare
    const etag = String(withEtag(json(200, { a: 1 }), undefined).headers!.etag);
    // Act
    const results = [etag, `W/${etag}`, `"other", ${etag}`].map((header) => withEtag(json(200, { a: 1 }), header));
    // Assess
    for (const r of results) expect(r).toEqual({ statusCode: 304, headers: { etag, "cache-control": "no-cache" }, body: "" });
    expect(withEtag(json(200, { a: 2 }), etag).statusCode).toBe(200);
  });

  it("leaves errors untagged", () => {
    // Prepare
    const refused = json(404, { error: { code: "proposal-not-found", message: "x" } });
    // Act + Assess
    expect(withEtag(refused, "*")).toBe(refused);
  });
});

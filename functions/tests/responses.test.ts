/** The API's error mapping (pure: no services). */
import { NetworkGasCapError, ProposalRejectedError, ProposalRejection } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { knownErrorResponse } from "../src/api/responses.js";

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
});

import { describe, expect, it } from "vitest";
import { deployDispatcher, routed, routesTo, upgrade } from "./fixtures.js";

describe("ManifestDispatcher", () => {
  it("routes a call to a facet after commit → apply → activate", async () => {
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    expect(await routed(f, f.v1).version()).toBe(1n);
  });
});

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPOSITORY_ROOT } from "../bundling.js";
import { buildFunctionBundle, FUNCTION_ENTRIES, packageOfInput, type FunctionBundle, type FunctionEntry } from "../bundle-report.js";

/** Chain code: a function's cold start must not load it (it is a chunk loaded on first use). */
const CHAIN_PACKAGES = ["packages/chain", "@flashbots/ethers-provider-bundle", "@aws-sdk/client-kms"];
/** The chain package's error classes: plain classes, allowed anywhere. */
const CHAIN_ERRORS = "packages/chain/src/errors.ts";
/** ethers' constants (`ZeroAddress`, `ZeroHash`: a few strings the manifest format compares with): allowed anywhere. */
const ETHERS_CONSTANTS = /node_modules\/ethers\/lib\.esm\/constants\//;
/** Manifest code (ethers, Merkle trees): the API and the watchdog load it only on first use. */
const MANIFEST_PACKAGES = ["ethers", "@openzeppelin/merkle-tree", "@metamask/abi-utils", "aes-js", "@adraffy/ens-normalize", "ws"];

/**
 * AWS clients every function loads on first use: SSM with the first bound secret, EventBridge with the
 * first alert, Scheduler / SQS with the first schedule or cancel, S3 with the first anchor.
 */
const LAZY_AWS_CLIENTS = ["@aws-sdk/client-ssm", "@aws-sdk/client-eventbridge", "@aws-sdk/client-scheduler", "@aws-sdk/client-sqs", "@aws-sdk/client-s3"];

/**
 * Packages each function's start-up chunks must not contain. The steps load ethers only with the gateway
 * and the approval checks (the approval gate's hashing and signature recovery), not at start-up.
 */
const FORBIDDEN_AT_STARTUP: Record<FunctionEntry, string[]> = {
  api: [...CHAIN_PACKAGES, ...MANIFEST_PACKAGES, ...LAZY_AWS_CLIENTS],
  watchdog: [...CHAIN_PACKAGES, ...MANIFEST_PACKAGES, ...LAZY_AWS_CLIENTS],
  anchor: [...CHAIN_PACKAGES, ...MANIFEST_PACKAGES, ...LAZY_AWS_CLIENTS],
  commit: [...CHAIN_PACKAGES, ...MANIFEST_PACKAGES, ...LAZY_AWS_CLIENTS],
  apply: [...CHAIN_PACKAGES, ...MANIFEST_PACKAGES, ...LAZY_AWS_CLIENTS],
  activate: [...CHAIN_PACKAGES, ...MANIFEST_PACKAGES, ...LAZY_AWS_CLIENTS],
};

/** Issue 16's ceiling on what a cold start loads (minified ESM, every package bundled), for every function. */
const STARTUP_BUDGET_BYTES = 700 * 1024;

/**
 * The most commands of one AWS client a bundle may hold. A client imported with `import("@aws-sdk/client-x")`
 * brings its whole namespace (SSM: ~150 commands, twice the bytes of its named imports); PayRox calls at
 * most 8 of any one (DynamoDB).
 */
const MAX_COMMANDS_PER_CLIENT = 10;

let dir: string;
const bundles = {} as Record<FunctionEntry, FunctionBundle>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "payrox-bundle-contents-"));
  for (const name of FUNCTION_ENTRIES) bundles[name] = await buildFunctionBundle(name, join(dir, name));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("function bundles (stacks/bundling.ts, as the stacks ship them)", () => {
  it.each(FUNCTION_ENTRIES)("keeps forbidden packages out of %s's start-up chunks", (name) => {
    // Act: the chain package's error classes (no dependencies) are what the API maps to responses; ethers' constants are strings.
    const present = new Set(bundles[name].startup.inputs.filter((i) => i !== CHAIN_ERRORS && !ETHERS_CONSTANTS.test(i)).map(packageOfInput));

    // Assess
    expect([...present].filter((p) => FORBIDDEN_AT_STARTUP[name].includes(p))).toEqual([]);
  });

  it("loads the chain code on first use: the API's propose/cancel and governance routes and every gateway are lazy chunks", () => {
    // Act
    const lazyPackages = (name: FunctionEntry) => new Set(bundles[name].lazy.flatMap((l) => Object.keys(l.packages)));

    // Assess
    expect(bundles.api.lazy.map((l) => l.chunk).some((c) => /chain-routes-/.test(c))).toBe(true);
    expect(bundles.api.lazy.map((l) => l.chunk).some((c) => /governance-routes-/.test(c))).toBe(true);
    for (const name of FUNCTION_ENTRIES.filter((n) => n !== "anchor")) {
      expect(lazyPackages(name).has("packages/chain")).toBe(true);
      expect(lazyPackages(name).has("@flashbots/ethers-provider-bundle")).toBe(true);
    }
  });

  it.each(FUNCTION_ENTRIES)("bundles one ESM ethers and no zod locale but English in %s", (name) => {
    // Act
    const inputs = bundles[name].inputs;

    // Assess
    expect(inputs.filter((i) => i.includes("ethers/lib.commonjs/"))).toEqual([]);
    expect(inputs.filter((i) => /zod\/v4\/locales\/(?!en\.js)/.test(i))).toEqual([]);
    expect(inputs.filter((i) => i.includes("@adraffy/ens-normalize/"))).toEqual([]);
  });

  it.each(FUNCTION_ENTRIES)("bundles one copy of each package version in %s", (name) => {
    // Act
    const copies = new Map<string, Set<string>>();
    for (const input of bundles[name].inputs) {
      const match = /^([^:]*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (!match) continue;
      const { name: pkg, version } = JSON.parse(readFileSync(join(REPOSITORY_ROOT, match[1]!, "package.json"), "utf8")) as { name: string; version: string };
      copies.set(`${pkg}@${version}`, (copies.get(`${pkg}@${version}`) ?? new Set()).add(match[1]!));
    }

    // Assess
    expect([...copies].filter(([, dirs]) => dirs.size > 1).map(([key]) => key)).toEqual([]);
    expect([...copies.keys()].filter((key) => key.startsWith("@aws-sdk/client-ssm@")).length).toBeLessThanOrEqual(1);
  });

  it.each(["api", "commit"] as const)("loads %s's entry and its chain chunks in plain Node", async (name) => {
    // Act
    const entry = (await import(pathToFileURL(bundles[name].entry).href)) as { handler?: unknown };
    const chunks = bundles[name].lazy.filter((l) => /(gateway|chain-routes|governance-routes|governance|approval-crypto|ssm-parameters|events|scheduler)-/.test(l.chunk));
    const loaded = await Promise.all(chunks.map(async (l) => Object.keys((await import(pathToFileURL(join(dir, name, l.chunk)).href)) as object)));

    // Assess
    expect(typeof entry.handler).toBe("function");
    expect(chunks.length).toBeGreaterThan(0);
    for (const exports of loaded) expect(exports.length).toBeGreaterThan(0);
  });

  it.each(FUNCTION_ENTRIES)("keeps %s's start-up within the byte budget", (name) => {
    // Assess
    expect(bundles[name].startup.bytes).toBeLessThanOrEqual(STARTUP_BUDGET_BYTES);
  });

  it.each(FUNCTION_ENTRIES)("bundles only the AWS SDK commands %s can call (lazily loaded clients imported by name)", (name) => {
    // Act
    const commands = new Map<string, number>();
    for (const input of bundles[name].inputs) {
      const client = /(@aws-sdk\/client-[^/]+)\/dist-es\/commands\//.exec(input)?.[1];
      if (client) commands.set(client, (commands.get(client) ?? 0) + 1);
    }

    // Assess
    expect(commands.size).toBeGreaterThan(0);
    expect([...commands].filter(([, count]) => count > MAX_COMMANDS_PER_CLIENT)).toEqual([]);
  });
});

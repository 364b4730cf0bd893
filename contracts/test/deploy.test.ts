/**
 * Deterministic deployment of the dispatcher on two real local nodes (a `hardhat node` without the CREATE2
 * factory, an anvil with it predeployed), over JSON-RPC with ethers. Hardhat is not imported: artifacts are
 * read from contracts/artifacts (run `npm run build` first).
 */
import { readFileSync } from "node:fs";
import { Contract, getCreateAddress, type Wallet, type JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CREATE2_FACTORY,
  CREATE2_FACTORY_DEPLOYER,
  deployDispatcherDeterministic,
  devConfig,
  predictDispatcherAddress,
  type Artifact,
  type DispatcherConfig,
} from "../lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../lib/local-chain.js";

function readArtifact(relative: string): Artifact {
  const url = new URL(`../artifacts/src/dispatcher/${relative}`, import.meta.url);
  try {
    return JSON.parse(readFileSync(url, "utf8")) as Artifact;
  } catch (error) {
    throw new Error(`cannot read artifact ${url.pathname}: run \`npm run build\` at the repository root first`, { cause: error });
  }
}

const dispatcherArtifact = readArtifact("ManifestDispatcher.sol/ManifestDispatcher.json");
const adminFacetAbi = readArtifact("DispatcherAdminFacet.sol/DispatcherAdminFacet.json").abi as never;

type DeployResult = Awaited<ReturnType<typeof deployDispatcherDeterministic>>;

interface Net {
  chain: LocalChain;
  provider: JsonRpcProvider;
  wallet: Wallet;
  /** Result of the first deployment, made in beforeAll. */
  first: DeployResult;
}

describe("deployDispatcherDeterministic", () => {
  const started: LocalChain[] = [];
  let hardhat: Net;
  let anvil: Net;
  let config: DispatcherConfig;

  beforeAll(async () => {
    const results = await Promise.allSettled([
      startLocalChain({ kind: "hardhat", chainId: 31337 }),
      startLocalChain({ kind: "anvil", chainId: 31338 }),
    ]);
    for (const r of results) if (r.status === "fulfilled") started.push(r.value);
    for (const r of results) if (r.status === "rejected") throw r.reason;
    const [hh, an] = started;

    const setUp = async (chain: LocalChain): Promise<Net> => {
      const { provider, wallet } = devWallet(chain);
      config ??= devConfig(wallet.address);
      return { chain, provider, wallet, first: await deployDispatcherDeterministic(wallet, dispatcherArtifact, config) };
    };
    [hardhat, anvil] = await Promise.all([setUp(hh!), setUp(an!)]);
  });

  afterAll(async () => {
    for (const net of [hardhat, anvil]) net?.provider.destroy();
    await Promise.all(started.map((chain) => chain.stop()));
  });

  const dispatcherAt = (net: Net, address: string) => new Contract(address, adminFacetAbi, net.provider);

  it("deploys to the predicted address, the same on both chains despite different chain ids, with the same admin facet", async () => {
    const predicted = predictDispatcherAddress(dispatcherArtifact, config);
    expect(hardhat.chain.chainId).toBe(31337);
    expect(anvil.chain.chainId).toBe(31338);
    expect((await hardhat.provider.getNetwork()).chainId).not.toBe((await anvil.provider.getNetwork()).chainId);

    const adminFacets: string[] = [];
    for (const net of [hardhat, anvil]) {
      expect(net.first.deployed).toBe(true);
      expect(net.first.gasUsed).toBeGreaterThan(0n);
      expect(net.first.address).toBe(predicted);
      expect(await net.provider.getCode(predicted)).not.toBe("0x");
      const adminFacet: string = await dispatcherAt(net, predicted).adminFacet();
      // The router CREATEs its admin facet at nonce 1, so the facet address follows from the router's.
      expect(adminFacet).toBe(getCreateAddress({ from: predicted, nonce: 1 }));
      expect(await net.provider.getCode(adminFacet)).not.toBe("0x");
      adminFacets.push(adminFacet);
    }
    expect(adminFacets[0]).toBe(adminFacets[1]);
    // Same runtime code on both chains, too.
    expect(await hardhat.provider.getCode(predicted)).toBe(await anvil.provider.getCode(predicted));
  });

  it("deploys the CREATE2 factory from its presigned transaction where missing (hardhat) and reuses it where present (anvil)", async () => {
    expect(hardhat.first.deployedFactory).toBe(true);
    expect(anvil.first.deployedFactory).toBe(false);
    // On hardhat the one-time deployer has spent its only nonce; anvil's factory is a genesis predeploy.
    expect(await hardhat.provider.getTransactionCount(CREATE2_FACTORY_DEPLOYER)).toBe(1);
    expect(await anvil.provider.getTransactionCount(CREATE2_FACTORY_DEPLOYER)).toBe(0);
    const factoryCode = await hardhat.provider.getCode(CREATE2_FACTORY);
    expect(factoryCode).not.toBe("0x");
    expect(await anvil.provider.getCode(CREATE2_FACTORY)).toBe(factoryCode);
  });

  it("is idempotent: deploying again returns the existing deployment", async () => {
    for (const net of [hardhat, anvil]) {
      const nonceBefore = await net.provider.getTransactionCount(net.wallet.address);
      const again = await deployDispatcherDeterministic(net.wallet, dispatcherArtifact, config);
      expect(again).toEqual({ address: net.first.address, deployedFactory: false, deployed: false, gasUsed: 0n });
      expect(await net.provider.getTransactionCount(net.wallet.address)).toBe(nonceBefore);
    }
  });

  it("gives a working dispatcher on each chain: epoch 0 and the configured admin", async () => {
    for (const net of [hardhat, anvil]) {
      const dispatcher = dispatcherAt(net, net.first.address);
      expect(await dispatcher.activeEpoch()).toBe(0n);
      expect(await dispatcher.defaultAdmin()).toBe(config.admin);
      expect(await dispatcher.activationDelay()).toBe(BigInt(config.activationDelay));
    }
  });

  it("puts a different config at a different address (constructor arguments are part of it)", async () => {
    const other = devConfig(config.admin, { activationDelay: config.activationDelay + 1 });
    const otherAddress = predictDispatcherAddress(dispatcherArtifact, other);
    expect(otherAddress).not.toBe(predictDispatcherAddress(dispatcherArtifact, config));

    const deployed = await deployDispatcherDeterministic(anvil.wallet, dispatcherArtifact, other);
    expect(deployed).toMatchObject({ address: otherAddress, deployed: true, deployedFactory: false });
    const dispatcher = dispatcherAt(anvil, otherAddress);
    expect(await dispatcher.activationDelay()).toBe(BigInt(other.activationDelay));
    expect(await dispatcher.adminFacet()).not.toBe(await dispatcherAt(anvil, anvil.first.address).adminFacet());
  });
});

/**
 * KmsSigner against the devnet's local KMS server (reached only through AWS_ENDPOINT_URL_KMS, as a real KMS
 * would be) and a local anvil node. Addresses are cross-checked with OpenSSL's reading of the public key.
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, DisableKeyCommand, GetPublicKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { startKmsServer, type KmsServer } from "@payrox/devnet";
import { computeAddress, hashMessage, parseEther, verifyMessage, verifyTypedData, type JsonRpcProvider, type Wallet } from "ethers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ADDRESS, devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import {
  KmsAccessDeniedError, KmsKeyDisabledError, KmsKeyNotFoundError, KmsKeySpecError, KmsSigner, KmsSignerError, KmsUnavailableError,
  SECP256K1_N, createKmsClient, isHighS, parseDerEcdsaSignature, parseSecp256k1PublicKeyDer,
} from "../src/index.js";

/** Environment variables the tests set, with their previous values to restore. */
const savedEnv = new Map<string, string | undefined>();
let dir: string;
let kmsServer: KmsServer;
let chain: LocalChain;
let provider: JsonRpcProvider;
let funder: Wallet;
let client: KMSClient;
/** Every Sign answer the client received: the raw DER KMS returned, keyed by the digest's hex. */
const rawSignatures = new Map<string, Uint8Array>();
let getPublicKeyCalls = 0;

async function createKey(keySpec: "ECC_SECG_P256K1" | "ECC_NIST_P256" | "RSA_2048", keyUsage: "SIGN_VERIFY" | "ENCRYPT_DECRYPT" = "SIGN_VERIFY"): Promise<string> {
  const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: keyUsage }));
  return KeyMetadata!.KeyId!;
}

/** The key's address computed from OpenSSL's reading of the DER public key (independent of the signer's parser). */
async function opensslAddress(keyId: string): Promise<string> {
  const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  const jwk = createPublicKey({ key: Buffer.from(PublicKey!), format: "der", type: "spki" }).export({ format: "jwk" });
  const coordinate = (value: string | undefined) => Buffer.from(value!, "base64url").toString("hex").padStart(64, "0");
  return computeAddress(`0x04${coordinate(jwk.x)}${coordinate(jwk.y)}`);
}

/** Records raw Sign outputs and counts GetPublicKey calls, through the SDK's own middleware stack. */
function recordKmsTraffic(kms: KMSClient): void {
  kms.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === "GetPublicKeyCommand") getPublicKeyCalls++;
      if (context.commandName === "SignCommand") {
        const input = args.input as { Message: Uint8Array };
        const output = result.output as { Signature: Uint8Array };
        rawSignatures.set(Buffer.from(input.Message).toString("hex"), output.Signature);
      }
      return result;
    },
    { step: "initialize", name: "recordKmsTraffic" },
  );
}

/** What `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => new Error("expected a rejection"), (error: unknown) => error);
}

/** The chain's state that any transaction would change: block number and the nonce of each address. */
async function chainState(...addresses: string[]): Promise<number[]> {
  const nonces = await Promise.all(addresses.map((address) => provider.getTransactionCount(address, "pending")));
  return [await provider.getBlockNumber(), ...nonces];
}

/** Sets environment variables for this file's tests, remembering their previous values. */
function setEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
    process.env[name] = value;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "payrox-kms-signer-"));
  [kmsServer, chain] = await Promise.all([
    startKmsServer({ keyFile: join(dir, "kms-keys.json"), deniedAccessKeyIds: ["AKIADENIED"] }),
    startLocalChain({ kind: "anvil" }),
  ]);
  setEnv({
    AWS_ENDPOINT_URL_KMS: kmsServer.url, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  ({ provider, wallet: funder } = devWallet(chain));
  client = createKmsClient();
  recordKmsTraffic(client);
});

afterAll(async () => {
  client?.destroy();
  provider?.destroy();
  await Promise.all([kmsServer?.stop(), chain?.stop()]);
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("KmsSigner", () => {
  it("derives the address from GetPublicKey once and shares it with connected signers", async () => {
    // Prepare
    const keyId = await createKey("ECC_SECG_P256K1");
    const expected = await opensslAddress(keyId);
    const before = getPublicKeyCalls;
    const signer = new KmsSigner({ keyId, client });
    // Act
    const addresses = await Promise.all([signer.getAddress(), signer.getAddress(), signer.connect(provider).getAddress()]);
    // Assess
    expect(addresses).toEqual([expected, expected, expected]);
    expect(getPublicKeyCalls - before).toBe(1);
  });

  it("signs 500 messages that all recover to the key's address, normalising the high-s signatures KMS returned", async () => {
    // Prepare
    const keyId = await createKey("ECC_SECG_P256K1");
    const signer = new KmsSigner({ keyId, client });
    const address = await signer.getAddress();
    const messages = Array.from({ length: 500 }, (_, i) => `PayRox KMS signature ${i}`);
    // Act
    const signatures: string[] = [];
    for (let start = 0; start < messages.length; start += 25) {
      signatures.push(...(await Promise.all(messages.slice(start, start + 25).map((message) => signer.signMessage(message)))));
    }
    // Assess
    let highS = 0;
    messages.forEach((message, i) => {
      const digest = hashMessage(message);
      const raw = parseDerEcdsaSignature(rawSignatures.get(digest.slice(2))!);
      const signature = signatures[i]!;
      const s = BigInt(`0x${signature.slice(66, 130)}`);
      if (isHighS(raw.s)) highS++;
      expect(BigInt(signature.slice(0, 66))).toBe(raw.r);
      expect(s).toBe(isHighS(raw.s) ? SECP256K1_N - raw.s : raw.s);
      expect(isHighS(s)).toBe(false);
      expect(verifyMessage(message, signature)).toBe(address);
    });
    expect(highS).toBeGreaterThan(0);
    expect(highS).toBeLessThan(messages.length);
    console.info(`KMS returned ${highS} high-s signatures out of ${messages.length}`);
  });

  it("gets EIP-1559 and legacy transactions mined from the key's address once it is funded", async () => {
    // Prepare
    const signer = new KmsSigner({ keyId: await createKey("ECC_SECG_P256K1"), client }, provider);
    const address = await signer.getAddress();
    await (await funder.sendTransaction({ to: address, value: parseEther("1") })).wait();
    // Act
    const eip1559 = await (await signer.sendTransaction({ to: DEV_ADDRESS, value: 1n, type: 2 })).wait();
    const legacy = await (await signer.sendTransaction({ to: DEV_ADDRESS, value: 2n, type: 0 })).wait();
    // Assess
    const [mined1559, minedLegacy] = await Promise.all([provider.getTransaction(eip1559!.hash), provider.getTransaction(legacy!.hash)]);
    expect(eip1559?.status).toBe(1);
    expect(legacy?.status).toBe(1);
    expect(mined1559).toMatchObject({ from: address, type: 2, nonce: 0, value: 1n });
    expect(minedLegacy).toMatchObject({ from: address, type: 0, nonce: 1, value: 2n });
    expect(await provider.getTransactionCount(address)).toBe(2);
  });

  it("signs EIP-712 typed data that ethers.verifyTypedData attributes to the key", async () => {
    // Prepare
    const signer = new KmsSigner({ keyId: await createKey("ECC_SECG_P256K1"), client }, provider);
    const domain = { name: "PayRox", version: "1", chainId: chain.chainId, verifyingContract: DEV_ADDRESS };
    const types = { Activation: [{ name: "root", type: "bytes32" }, { name: "epoch", type: "uint64" }] };
    const value = { root: `0x${"ab".repeat(32)}`, epoch: 7n };
    // Act
    const signature = await signer.signTypedData(domain, types, value);
    // Assess
    expect(verifyTypedData(domain, types, value, signature)).toBe(await signer.getAddress());
    expect(verifyTypedData(domain, types, { ...value, epoch: 8n }, signature)).not.toBe(await signer.getAddress());
  });

  it("describes a usable key as ECC_SECG_P256K1 / SIGN_VERIFY / Enabled", async () => {
    // Prepare
    const signer = new KmsSigner({ keyId: await createKey("ECC_SECG_P256K1"), client });
    // Act
    const description = await signer.describeKey();
    // Assess
    expect(description).toMatchObject({ keySpec: "ECC_SECG_P256K1", keyUsage: "SIGN_VERIFY", keyState: "Enabled" });
    expect(description.arn).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
  });

  it("refuses to sign with a transaction's from set to another address", async () => {
    // Prepare
    const signer = new KmsSigner({ keyId: await createKey("ECC_SECG_P256K1"), client }, provider);
    // Act
    const error = await rejection(signer.signTransaction({ from: DEV_ADDRESS, to: DEV_ADDRESS, chainId: chain.chainId, nonce: 0, gasLimit: 21_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }));
    // Assess
    expect(String(error)).toMatch(/from address mismatch/);
  });
});

describe("KmsSigner with unusable keys or KMS", () => {
  it("throws KmsKeySpecError carrying the key id when the key is not ECC_SECG_P256K1 / SIGN_VERIFY, and sends nothing", async () => {
    // Prepare
    const keys = [await createKey("ECC_NIST_P256"), await createKey("RSA_2048", "ENCRYPT_DECRYPT")];
    const before = await chainState(DEV_ADDRESS);
    // Act
    const errors = await Promise.all(keys.map((keyId) => rejection(new KmsSigner({ keyId, client }, provider).sendTransaction({ to: DEV_ADDRESS, value: 1n }))));
    const described = await rejection(new KmsSigner({ keyId: keys[0]!, client }).describeKey());
    // Assess
    expect(errors[0]).toBeInstanceOf(KmsKeySpecError);
    expect(errors[0]).toMatchObject({ keyId: keys[0], keySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY" });
    expect(errors[1]).toMatchObject({ keyId: keys[1], keySpec: "RSA_2048", keyUsage: "ENCRYPT_DECRYPT" });
    expect((errors[0] as Error).message).toMatch(/ECC_SECG_P256K1.*SIGN_VERIFY/);
    expect(described).toBeInstanceOf(KmsKeySpecError);
    expect(await chainState(DEV_ADDRESS)).toEqual(before);
  });

  it("throws KmsKeyNotFoundError carrying the key id for an unknown key id or alias, and sends nothing", async () => {
    // Prepare
    const keyIds = ["0b1e5c2a-0000-4000-8000-000000000000", "alias/payrox-missing"];
    const before = await chainState(DEV_ADDRESS);
    // Act
    const errors = await Promise.all(keyIds.map((keyId) => rejection(new KmsSigner({ keyId, client }, provider).sendTransaction({ to: DEV_ADDRESS, value: 1n }))));
    // Assess
    errors.forEach((error, i) => {
      expect(error).toBeInstanceOf(KmsKeyNotFoundError);
      expect(error).toMatchObject({ keyId: keyIds[i] });
      expect((error as Error).message).toContain(keyIds[i]);
    });
    expect(await chainState(DEV_ADDRESS)).toEqual(before);
  });

  it("throws KmsKeyDisabledError carrying the key id when the key was disabled after its address was cached, and sends nothing", async () => {
    // Prepare
    const keyId = await createKey("ECC_SECG_P256K1");
    const signer = new KmsSigner({ keyId, client }, provider);
    const address = await signer.getAddress();
    await (await funder.sendTransaction({ to: address, value: parseEther("1") })).wait();
    await client.send(new DisableKeyCommand({ KeyId: keyId }));
    const before = await chainState(address, DEV_ADDRESS);
    // Act
    const sendError = await rejection(signer.sendTransaction({ to: DEV_ADDRESS, value: 1n }));
    const describeError = await rejection(signer.describeKey());
    // Assess
    expect(sendError).toBeInstanceOf(KmsKeyDisabledError);
    expect(sendError).toMatchObject({ keyId, detail: expect.stringContaining("is disabled") });
    expect(describeError).toBeInstanceOf(KmsKeyDisabledError);
    expect(await chainState(address, DEV_ADDRESS)).toEqual(before);
    expect(await provider.getTransactionCount(address, "pending")).toBe(0);
  });

  it("throws KmsAccessDeniedError carrying the key id when KMS denies the caller's credentials", async () => {
    // Prepare
    const keyId = await createKey("ECC_SECG_P256K1");
    const signer = new KmsSigner({ keyId, clientConfig: { credentials: { accessKeyId: "AKIADENIED", secretAccessKey: "x" } } }, provider);
    // Act
    const error = await rejection(signer.signMessage("hello"));
    signer.client.destroy();
    // Assess
    expect(error).toBeInstanceOf(KmsAccessDeniedError);
    expect(error).toMatchObject({ keyId });
  });

  it("throws KmsUnavailableError carrying the key id when the KMS endpoint never answers, and sends nothing", async () => {
    // Prepare: a TCP endpoint that accepts connections and never answers
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const keyId = await createKey("ECC_SECG_P256K1");
    const address = await new KmsSigner({ keyId, client }).getAddress();
    await (await funder.sendTransaction({ to: address, value: parseEther("1") })).wait();
    const signer = new KmsSigner(
      { keyId, clientConfig: { endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2, requestHandler: { requestTimeout: 300 } } },
      provider,
    );
    const before = await chainState(address, DEV_ADDRESS);
    // Act
    const started = Date.now();
    const error = await rejection(signer.sendTransaction({ to: DEV_ADDRESS, value: 1n }));
    const elapsed = Date.now() - started;
    signer.client.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    // Assess
    expect(error).toBeInstanceOf(KmsUnavailableError);
    expect(error).toMatchObject({ keyId });
    expect((error as KmsSignerError).cause).toMatchObject({ name: "TimeoutError" });
    expect(elapsed).toBeLessThan(10_000);
    expect(await chainState(address, DEV_ADDRESS)).toEqual(before);
  });
});

describe("parseDerEcdsaSignature", () => {
  it("returns (r, s) unchanged, high s included, for every minimal encoding of values in [1, n − 1]", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: SECP256K1_N - 1n }), fc.bigInt({ min: 1n, max: SECP256K1_N - 1n }), (r, s) => {
        expect(parseDerEcdsaSignature(derSignature(derInteger(r), derInteger(s)))).toEqual({ r, s });
      }),
    );
  });

  it("rejects trailing bytes, non-minimal or negative integers, zero, n, and a wrong tag", () => {
    // Prepare
    const one = derInteger(1n);
    const malformed = [
      Buffer.concat([derSignature(one, one), Buffer.from([0])]),
      derSignature(Buffer.from([0x02, 0x02, 0x00, 0x01]), one),
      derSignature(Buffer.from([0x02, 0x01, 0x80]), one),
      derSignature(derInteger(0n), one),
      derSignature(one, derInteger(SECP256K1_N)),
      Buffer.from([0x31, 0x06, ...one, ...one]),
      derSignature(one),
      Buffer.from([0x30, 0x81, 0x06, ...one, ...one]),
    ];
    // Act
    const outcomes = malformed.map((der) => rejectionSync(() => parseDerEcdsaSignature(der)));
    // Assess
    for (const outcome of outcomes) expect(outcome).toMatchObject({ name: "DerFormatError" });
  });
});

describe("parseSecp256k1PublicKeyDer", () => {
  it("rejects a P-256 or RSA SubjectPublicKeyInfo, naming what it found", () => {
    // Prepare
    const p256 = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "der" });
    // Act
    const [p256Error, rsaError] = [p256, rsa].map((der) => rejectionSync(() => parseSecp256k1PublicKeyDer(der)));
    // Assess
    expect(p256Error).toMatchObject({ message: "curve is 1.2.840.10045.3.1.7, expected secp256k1 1.3.132.0.10" });
    expect(rsaError).toMatchObject({ message: expect.stringContaining("algorithm is 1.2.840.113549.1.1.1") });
  });
});

/** DER INTEGER of a non-negative value (test-side encoder). */
function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

function derSignature(...integers: Buffer[]): Buffer {
  const body = Buffer.concat(integers);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** What `run` throws. */
function rejectionSync(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return new Error("expected a throw");
}

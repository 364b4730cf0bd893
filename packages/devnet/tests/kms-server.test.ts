/**
 * The local KMS server against the real AWS SDK client (and, for malformed requests the SDK would never
 * send, raw HTTP). Public keys and signatures are checked with OpenSSL (node:crypto), not with our own code.
 */
import { createPublicKey, createHash, verify } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, GetPublicKeyCommand,
  KMSClient, ListAliasesCommand, ListKeysCommand, SignCommand, type KeyMetadata, type SignCommandInput,
} from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_KEYS_WARNING, startKmsServer, type KmsServer, type KmsServerOptions } from "../src/index.js";

const SECP256K1_HALF_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n / 2n;
const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/** Environment variables the tests set, with their previous values to restore. */
const savedEnv = new Map<string, string | undefined>();
const servers: KmsServer[] = [];
let dir: string;
let server: KmsServer;
let kms: KMSClient;

async function start(options: Partial<KmsServerOptions> & { keyFile: string }): Promise<KmsServer> {
  const started = await startKmsServer(options);
  servers.push(started);
  return started;
}

async function createSigningKey(client = kms): Promise<KeyMetadata> {
  const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: "ECC_SECG_P256K1", KeyUsage: "SIGN_VERIFY", Description: "test" }));
  return KeyMetadata!;
}

function digestSign(keyId: string, message: Uint8Array): SignCommandInput {
  return { KeyId: keyId, Message: createHash("sha256").update(message).digest(), MessageType: "DIGEST", SigningAlgorithm: "ECDSA_SHA_256" };
}

/** The name of the error `promise` rejects with. */
async function errorName(promise: Promise<unknown>): Promise<string> {
  return promise.then(() => "(resolved)", (error: Error) => error.name);
}

/** A raw POST to the server, for requests the SDK would never send. */
async function post(target: string | undefined, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: { __type?: string } }> {
  const response = await fetch(server.url, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=" + "0".repeat(64),
      ...(target ? { "x-amz-target": target } : {}),
      ...headers,
    },
    body,
  });
  return { status: response.status, json: (await response.json()) as { __type?: string } };
}

/** Sets environment variables for this file's tests, remembering their previous values. */
function setEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
    process.env[name] = value;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "payrox-kms-server-"));
  server = await start({ keyFile: join(dir, "main", "kms-keys.json"), deniedAccessKeyIds: ["denied"] });
  setEnv({
    AWS_ENDPOINT_URL_KMS: server.url, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  kms = new KMSClient({});
});

afterAll(async () => {
  kms?.destroy();
  await Promise.all(servers.map((started) => started.stop()));
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("startKmsServer", () => {
  it("creates an ECC_SECG_P256K1 key that DescribeKey finds by key id, key ARN, alias name and alias ARN", async () => {
    // Prepare
    const key = await createSigningKey();
    await kms.send(new CreateAliasCommand({ AliasName: "alias/describe-me", TargetKeyId: key.KeyId }));
    const aliasArn = key.Arn!.replace(/key\/.*$/, "alias/describe-me");
    // Act
    const found = await Promise.all(
      [key.KeyId!, key.Arn!, "alias/describe-me", aliasArn].map((id) => kms.send(new DescribeKeyCommand({ KeyId: id }))),
    );
    // Assess
    expect(key).toMatchObject({ KeySpec: "ECC_SECG_P256K1", KeyUsage: "SIGN_VERIFY", KeyState: "Enabled", Enabled: true, SigningAlgorithms: ["ECDSA_SHA_256"] });
    expect(key.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${key.KeyId}`);
    expect(key.CreationDate).toBeInstanceOf(Date);
    for (const answer of found) expect(answer.KeyMetadata?.KeyId).toBe(key.KeyId);
  });

  it("lists keys and aliases page by page when Limit is smaller than the list", async () => {
    // Prepare
    const created = [await createSigningKey(), await createSigningKey(), await createSigningKey()];
    await kms.send(new CreateAliasCommand({ AliasName: "alias/listed", TargetKeyId: created[1]!.Arn }));
    // Act
    const ids: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 2, Marker: marker }));
      ids.push(...page.Keys!.map((entry) => entry.KeyId!));
      marker = page.Truncated ? page.NextMarker : undefined;
      pages++;
    } while (marker);
    const aliases = await kms.send(new ListAliasesCommand({ KeyId: created[1]!.KeyId }));
    // Assess
    expect(pages).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(created.map((key) => key.KeyId!)));
    expect(aliases.Aliases).toEqual([expect.objectContaining({ AliasName: "alias/listed", TargetKeyId: created[1]!.KeyId })]);
  });

  it("answers GetPublicKey with a DER SubjectPublicKeyInfo that OpenSSL reads as a secp256k1 key", async () => {
    // Prepare
    const key = await createSigningKey();
    // Act
    const answer = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
    const publicKey = createPublicKey({ key: Buffer.from(answer.PublicKey!), format: "der", type: "spki" });
    // Assess
    expect(answer).toMatchObject({ KeySpec: "ECC_SECG_P256K1", KeyUsage: "SIGN_VERIFY", SigningAlgorithms: ["ECDSA_SHA_256"] });
    expect(publicKey.asymmetricKeyType).toBe("ec");
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe("secp256k1");
  });

  it("returns DER signatures that OpenSSL verifies, some with high s, when signing digests and raw messages", async () => {
    // Prepare
    const key = await createSigningKey();
    const publicKey = createPublicKey({ key: Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }))).PublicKey!), format: "der", type: "spki" });
    const messages = Array.from({ length: 64 }, (_, i) => Buffer.from(`message ${i}`));
    // Act
    const signatures = await Promise.all(
      messages.map((message, i) =>
        kms.send(new SignCommand(i % 2 ? digestSign(key.KeyId!, message) : { KeyId: key.Arn, Message: message, MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256" })),
      ),
    );
    // Assess
    const highS = signatures.filter((answer) => derS(answer.Signature!) > SECP256K1_HALF_N).length;
    signatures.forEach((answer, i) => {
      expect(answer.SigningAlgorithm).toBe("ECDSA_SHA_256");
      expect(verify("sha256", messages[i]!, publicKey, Buffer.from(answer.Signature!))).toBe(true);
    });
    expect(highS).toBeGreaterThan(0);
    expect(highS).toBeLessThan(messages.length);
  });

  it("refuses to sign with a disabled key (DisabledException) and signs again once it is enabled", async () => {
    // Prepare
    const key = await createSigningKey();
    const sign = () => kms.send(new SignCommand(digestSign(key.KeyId!, Buffer.from("x"))));
    // Act
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    const whileDisabled = await errorName(sign());
    const publicKeyWhileDisabled = await errorName(kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId })));
    const described = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    // Assess
    expect(whileDisabled).toBe("DisabledException");
    expect(publicKeyWhileDisabled).toBe("DisabledException");
    expect(described.KeyMetadata).toMatchObject({ Enabled: false, KeyState: "Disabled" });
    expect((await sign()).Signature?.length).toBeGreaterThan(60);
  });

  it("keeps keys and aliases across a restart on the same 0600 file labelled as development keys", async () => {
    // Prepare
    const keyFile = join(dir, "restart", "keys.json");
    const first = await start({ keyFile });
    const client = new KMSClient({ endpoint: first.url });
    const key = await createSigningKey(client);
    await client.send(new CreateAliasCommand({ AliasName: "alias/survives", TargetKeyId: key.KeyId }));
    await client.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    const publicKeyBefore = await client.send(new GetPublicKeyCommand({ KeyId: "alias/survives" })).catch((error: Error) => error.name);
    client.destroy();
    await first.stop();
    // Act
    const second = await start({ keyFile });
    const again = new KMSClient({ endpoint: second.url });
    const listed = await again.send(new ListKeysCommand({}));
    const described = await again.send(new DescribeKeyCommand({ KeyId: "alias/survives" }));
    await again.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    const publicKeyAfter = await again.send(new GetPublicKeyCommand({ KeyId: "alias/survives" }));
    again.destroy();
    // Assess
    const content = JSON.parse(readFileSync(keyFile, "utf8"));
    expect(publicKeyBefore).toBe("DisabledException");
    expect(listed.Keys?.map((entry) => entry.KeyId)).toEqual([key.KeyId]);
    expect(described.KeyMetadata).toMatchObject({ KeyId: key.KeyId, KeyState: "Disabled", CreationDate: key.CreationDate });
    expect(createPublicKey({ key: Buffer.from(publicKeyAfter.PublicKey!), format: "der", type: "spki" }).asymmetricKeyDetails?.namedCurve).toBe("secp256k1");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "restart")).mode & 0o777).toBe(0o700);
    expect(content).toMatchObject({ developmentKeysOnly: true, warning: DEVELOPMENT_KEYS_WARNING });
    expect(content.warning).toMatch(/DEVELOPMENT KEYS ONLY.*Never use them for real funds/);
  });

  it("narrows an existing key file to 0600 and refuses a file that is not a devnet key file", async () => {
    // Prepare
    const loose = join(dir, "loose.json");
    const foreign = join(dir, "foreign.json");
    const first = await start({ keyFile: loose });
    await first.stop();
    chmodSync(loose, 0o644);
    writeFileSync(foreign, JSON.stringify({ keys: [] }));
    // Act
    await start({ keyFile: loose });
    const refused = await startKmsServer({ keyFile: foreign }).then(() => "started", (error: Error) => error.message);
    // Assess
    expect(statSync(loose).mode & 0o777).toBe(0o600);
    expect(refused).toMatch(/not a PayRox devnet KMS key file/);
    expect(JSON.parse(readFileSync(foreign, "utf8"))).toEqual({ keys: [] });
  });

  it("answers ValidationException when a field is missing, out of range or not in the enum", async () => {
    // Prepare
    const key = await createSigningKey();
    const bad: Array<Promise<unknown>> = [
      kms.send(new SignCommand({ ...digestSign(key.KeyId!, Buffer.from("x")), Message: new Uint8Array(31) })),
      kms.send(new SignCommand({ ...digestSign(key.KeyId!, Buffer.from("x")), Message: new Uint8Array(0) })),
      kms.send(new DescribeKeyCommand({} as { KeyId: string })),
      kms.send(new CreateKeyCommand({ KeySpec: "NOT_A_SPEC" as "RSA_2048", KeyUsage: "SIGN_VERIFY" })),
      kms.send(new CreateKeyCommand({ KeySpec: "ECC_SECG_P256K1" })),
      kms.send(new ListKeysCommand({ Limit: 0 })),
      kms.send(new CreateAliasCommand({ AliasName: "no-prefix", TargetKeyId: key.KeyId })),
      kms.send(new CreateAliasCommand({ AliasName: "alias/to-alias", TargetKeyId: "alias/describe-me" })),
      kms.send(new SignCommand({ ...digestSign(key.KeyId!, Buffer.from("x")), SigningAlgorithm: "ECDSA_SHA_999" as "ECDSA_SHA_256" })),
    ];
    // Act
    const names = await Promise.all(bad.map(errorName));
    // Assess
    expect(names).toEqual(bad.map(() => "ValidationException"));
  });

  it("answers NotFoundException for an unknown key id, key ARN, alias or malformed id", async () => {
    // Prepare
    const unknown = "00000000-0000-4000-8000-000000000000";
    const ids = [unknown, `arn:aws:kms:us-east-1:111122223333:key/${unknown}`, "alias/nobody", "arn:aws:kms:eu-west-1:111122223333:alias/x", "not-a-key"];
    // Act
    const names = await Promise.all(ids.map((id) => errorName(kms.send(new DescribeKeyCommand({ KeyId: id })))));
    const signName = await errorName(kms.send(new SignCommand(digestSign(unknown, Buffer.from("x")))));
    // Assess
    expect(names).toEqual(ids.map(() => "NotFoundException"));
    expect(signName).toBe("NotFoundException");
  });

  it("answers AlreadyExistsException when an alias name is taken", async () => {
    // Prepare
    const key = await createSigningKey();
    await kms.send(new CreateAliasCommand({ AliasName: "alias/taken", TargetKeyId: key.KeyId }));
    // Act
    const name = await errorName(kms.send(new CreateAliasCommand({ AliasName: "alias/taken", TargetKeyId: key.KeyId })));
    // Assess
    expect(name).toBe("AlreadyExistsException");
  });

  it("creates RSA_2048 and ECC_NIST_P256 keys with real public keys but refuses to sign with them", async () => {
    // Prepare
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }))).KeyMetadata!;
    const p256 = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata!;
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    // Act
    const rsaPublic = await kms.send(new GetPublicKeyCommand({ KeyId: rsa.KeyId }));
    const p256Public = await kms.send(new GetPublicKeyCommand({ KeyId: p256.KeyId }));
    const rsaSign = await errorName(kms.send(new SignCommand({ ...digestSign(rsa.KeyId!, Buffer.from("x")), SigningAlgorithm: "RSASSA_PSS_SHA_256" })));
    const p256Sign = await errorName(kms.send(new SignCommand(digestSign(p256.KeyId!, Buffer.from("x")))));
    const symmetricPublic = await errorName(kms.send(new GetPublicKeyCommand({ KeyId: symmetric.KeyId })));
    // Assess
    expect(rsa).toMatchObject({ KeySpec: "RSA_2048", EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] });
    expect(symmetric).toMatchObject({ KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT" });
    expect(createPublicKey({ key: Buffer.from(rsaPublic.PublicKey!), format: "der", type: "spki" }).asymmetricKeyType).toBe("rsa");
    expect(createPublicKey({ key: Buffer.from(p256Public.PublicKey!), format: "der", type: "spki" }).asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(rsaSign).toBe("InvalidKeyUsageException");
    expect(p256Sign).toBe("UnsupportedOperationException");
    expect(symmetricPublic).toBe("UnsupportedOperationException");
  });

  it("rejects requests that are unsigned, scoped to another region, or from a denied access key", async () => {
    // Prepare
    const otherRegion = new KMSClient({ region: "eu-west-1" });
    const denied = new KMSClient({ credentials: { accessKeyId: "denied", secretAccessKey: "x" } });
    // Act
    const unsigned = await post("TrentService.ListKeys", "{}", { authorization: "" });
    const wrongRegion = await errorName(otherRegion.send(new ListKeysCommand({})));
    const deniedName = await errorName(denied.send(new ListKeysCommand({})));
    otherRegion.destroy();
    denied.destroy();
    // Assess
    expect(unsigned).toEqual({ status: 400, json: { __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" } });
    expect(wrongRegion).toBe("InvalidSignatureException");
    expect(deniedName).toBe("AccessDeniedException");
  });

  it("answers SerializationException and UnknownOperationException for malformed envelopes", async () => {
    // Act
    const notJson = await post("TrentService.ListKeys", "{not json");
    const notObject = await post("TrentService.ListKeys", "[1]");
    const unknownOp = await post("TrentService.Encrypt", "{}");
    const noTarget = await post(undefined, "{}");
    const wrongType = await post("TrentService.ListKeys", "{}", { "content-type": "application/json" });
    // Assess
    expect([notJson, notObject, wrongType].map((answer) => [answer.status, answer.json.__type])).toEqual(
      Array(3).fill([400, "SerializationException"]),
    );
    expect([unknownOp, noTarget].map((answer) => [answer.status, answer.json.__type])).toEqual(Array(2).fill([400, "UnknownOperationException"]));
  });
});

/** s of a DER ECDSA signature (a test-side reader: SEQUENCE { INTEGER r, INTEGER s }, short lengths). */
function derS(der: Uint8Array): bigint {
  const rLength = der[3]!;
  const sStart = 4 + rLength + 2;
  return BigInt(`0x${Buffer.from(der.subarray(sStart, sStart + der[sStart - 1]!)).toString("hex")}`);
}

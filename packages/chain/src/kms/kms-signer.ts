/**
 * An ethers v6 signer whose private key never leaves AWS KMS: a key of spec ECC_SECG_P256K1, usage
 * SIGN_VERIFY. The address comes from `GetPublicKey`; every payload is hashed locally and signed with
 * `Sign` (MessageType DIGEST); KMS's DER signature is normalised to low s and its recovery id found by
 * recovering the address with both parities.
 *
 * The signer talks to whatever endpoint the SDK's configuration names (`AWS_ENDPOINT_URL_KMS`, region,
 * `endpoint`): it has no notion of a local or test KMS.
 */
import {
  DescribeKeyCommand, GetPublicKeyCommand, SignCommand, type KMSClient, type KMSClientConfig,
} from "@aws-sdk/client-kms";
import {
  AbstractSigner, Signature, Transaction, TypedDataEncoder, assert, assertArgument, computeAddress, copyRequest,
  getAddress, getBytes, hashMessage, hexlify, recoverAddress, resolveAddress, resolveProperties, toBeHex,
  type BytesLike, type Provider, type TransactionLike, type TransactionRequest, type TypedDataDomain, type TypedDataField,
} from "ethers";
import { KmsKeyDisabledError, KmsKeySpecError, KmsResponseError } from "../errors.js";
import { parseDerEcdsaSignature, parseSecp256k1PublicKeyDer, toLowS } from "./der.js";
import { createKmsClient } from "./kms-client.js";
import { toKmsSignerError } from "./kms-error-mapping.js";

/** The only key spec and usage that can sign Ethereum payloads. */
export const KMS_ETHEREUM_KEY = { keySpec: "ECC_SECG_P256K1", keyUsage: "SIGN_VERIFY" } as const;

/** Options of {@link KmsSigner}: the key, and either a client to reuse or the config of a new one. */
export type KmsSignerOptions = {
  /** Key id, key ARN, alias name (`alias/x`) or alias ARN of an ECC_SECG_P256K1 SIGN_VERIFY key. */
  keyId: string;
} & (
  | {
      /** A client to reuse (one per process is enough; it pools connections). */
      client: KMSClient;
      clientConfig?: never;
    }
  | {
      client?: never;
      /**
       * Config of the client the signer creates through {@link createKmsClient}.
       * @default {} (region, credentials and endpoint from the environment)
       */
      clientConfig?: KMSClientConfig;
    }
);

/** What `DescribeKey` says about the signer's key, once it is known to be usable for Ethereum signing. */
export interface KmsKeyDescription {
  /** The key's ARN (whatever form the signer was configured with). */
  arn: string;
  keySpec: string;
  keyUsage: string;
  keyState: string;
}

/** Cached per key and shared by the signers {@link KmsSigner.connect} derives. */
interface KeyIdentity {
  address?: Promise<string>;
}

/**
 * An ethers v6 `AbstractSigner` backed by an AWS KMS ECC_SECG_P256K1 key.
 *
 * @example
 * const signer = new KmsSigner({ keyId: "alias/payrox-apply" }, provider);
 * await signer.sendTransaction({ to, data });
 */
export class KmsSigner extends AbstractSigner {
  /** The key id, key ARN, alias name or alias ARN this signer signs with. */
  readonly keyId: string;
  /** The KMS client every call goes through. */
  readonly client: KMSClient;
  #identity: KeyIdentity = {};

  constructor(options: KmsSignerOptions, provider: Provider | null = null) {
    super(provider);
    assertArgument(typeof options.keyId === "string" && options.keyId.length > 0, "a KMS key id is required", "options.keyId", options.keyId);
    this.keyId = options.keyId;
    this.client = options.client ?? createKmsClient(options.clientConfig);
  }

  /** A signer for the same key and client, connected to `provider`; the address cache is shared. */
  connect(provider: Provider | null): KmsSigner {
    const signer = new KmsSigner({ keyId: this.keyId, client: this.client }, provider);
    signer.#identity = this.#identity;
    return signer;
  }

  /** The key's Ethereum address, from `GetPublicKey` on first use, then cached. */
  getAddress(): Promise<string> {
    this.#identity.address ??= this.#loadAddress().catch((error: unknown) => {
      this.#identity.address = undefined;
      throw error;
    });
    return this.#identity.address;
  }

  /**
   * Checks with `DescribeKey` that the key exists, is enabled and is ECC_SECG_P256K1 / SIGN_VERIFY — a
   * pre-flight for a composition root; signing does not need it.
   *
   * @throws KmsKeySpecError, KmsKeyDisabledError, or any error of {@link toKmsSignerError}.
   */
  async describeKey(): Promise<KmsKeyDescription> {
    const { KeyMetadata: metadata } = await this.#call(() => this.client.send(new DescribeKeyCommand({ KeyId: this.keyId })));
    const description = {
      arn: metadata?.Arn ?? "", keySpec: metadata?.KeySpec ?? "", keyUsage: metadata?.KeyUsage ?? "", keyState: metadata?.KeyState ?? "",
    };
    this.#assertEthereumKey(description.keySpec, description.keyUsage);
    if (description.keyState !== "Enabled") {
      throw new KmsKeyDisabledError({ keyId: this.keyId, detail: `key state is ${description.keyState || "unknown"}` });
    }
    return description;
  }

  /**
   * Signs a 32-byte digest with KMS and returns a low-s signature whose `v` recovers this key's address.
   *
   * @throws KmsResponseError when KMS's signature is malformed or recovers to another address.
   */
  async signDigest(digest: BytesLike): Promise<Signature> {
    const bytes = getBytes(digest);
    assertArgument(bytes.length === 32, "digest must be 32 bytes", "digest", digest);
    const address = await this.getAddress();
    const output = await this.#call(() =>
      this.client.send(new SignCommand({ KeyId: this.keyId, Message: bytes, MessageType: "DIGEST", SigningAlgorithm: "ECDSA_SHA_256" })),
    );
    const { r, s } = this.#parse("signature", () => parseDerEcdsaSignature(output.Signature ?? new Uint8Array()));
    return this.#withRecoveryId(bytes, r, toLowS(s), address);
  }

  /** Signs an EIP-1559, EIP-2930 or legacy transaction; `from`, if set, must be this key's address. */
  async signTransaction(tx: TransactionRequest): Promise<string> {
    const request = copyRequest(tx);
    const { to, from } = await resolveProperties({
      to: request.to ? resolveAddress(request.to, this) : undefined,
      from: request.from ? resolveAddress(request.from, this) : undefined,
    });
    if (to != null) request.to = to;
    if (from != null) {
      assertArgument(getAddress(from) === (await this.getAddress()), "transaction from address mismatch", "tx.from", from);
    }
    delete request.from;
    const transaction = Transaction.from(request as TransactionLike<string>);
    transaction.signature = await this.signDigest(transaction.unsignedHash);
    return transaction.serialized;
  }

  /** Signs an EIP-191 personal message. */
  async signMessage(message: string | Uint8Array): Promise<string> {
    return (await this.signDigest(hashMessage(message))).serialized;
  }

  /** Signs EIP-712 typed data; ENS names in it are resolved through the provider. */
  async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    const populated = await TypedDataEncoder.resolveNames(domain, types, value, async (name: string) => {
      assert(this.provider != null, "cannot resolve ENS names without a provider", "UNSUPPORTED_OPERATION", { operation: "resolveName", info: { name } });
      const address = await this.provider.resolveName(name);
      assert(address != null, "unconfigured ENS name", "UNCONFIGURED_NAME", { value: name });
      return address;
    });
    return (await this.signDigest(TypedDataEncoder.hash(populated.domain, types, populated.value))).serialized;
  }

  async #loadAddress(): Promise<string> {
    const output = await this.#call(() => this.client.send(new GetPublicKeyCommand({ KeyId: this.keyId })));
    this.#assertEthereumKey(output.KeySpec, output.KeyUsage);
    const point = this.#parse("public key", () => parseSecp256k1PublicKeyDer(output.PublicKey ?? new Uint8Array()));
    // computeAddress rejects a point that is not on the curve.
    return this.#parse("public key", () => computeAddress(hexlify(point)));
  }

  #assertEthereumKey(keySpec: string | undefined, keyUsage: string | undefined): void {
    if (keySpec !== KMS_ETHEREUM_KEY.keySpec || keyUsage !== KMS_ETHEREUM_KEY.keyUsage) {
      throw new KmsKeySpecError({ keyId: this.keyId, keySpec, keyUsage });
    }
  }

  /** The signature (r, s, v) for v ∈ {27, 28} that recovers `address` from `digest`. */
  #withRecoveryId(digest: Uint8Array, r: bigint, s: bigint, address: string): Signature {
    for (const v of [27, 28] as const) {
      const signature = Signature.from({ r: toBeHex(r, 32), s: toBeHex(s, 32), v });
      if (recoverAddress(digest, signature) === address) return signature;
    }
    throw new KmsResponseError({ keyId: this.keyId, detail: `the signature does not recover to the key's address ${address}` });
  }

  /** Runs a KMS call, translating its failure into a typed error. */
  async #call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toKmsSignerError(error, this.keyId);
    }
  }

  /** Runs a parser over KMS output, turning a parse failure into a KmsResponseError. */
  #parse<T>(what: string, parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      const detail = `${what}: ${error instanceof Error ? error.message : String(error)}`;
      throw new KmsResponseError({ keyId: this.keyId, detail, cause: error });
    }
  }
}

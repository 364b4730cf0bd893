/**
 * The KMS operations the local server implements, on the keys of one {@link KmsKeyFile}. Inputs and outputs
 * use AWS's JSON shapes (binary fields base64, timestamps in epoch seconds); failures are
 * {@link KmsServiceError}s with AWS's exception names.
 */
import { createHash, randomUUID } from "node:crypto";
import type { KmsKeyFile, StoredAlias, StoredKey } from "./key-file.js";
import {
  DEVNET_KEY_SPECS, encryptionAlgorithmsOf, generatePrivateKey, publicKeyDer, signingAlgorithmsOf, signSecp256k1Digest,
  type HighSPolicy,
} from "./key-material.js";
import {
  createAliasRequest, createKeyRequest, keyIdRequest, listAliasesRequest, listKeysRequest, parseRequest, signRequest,
} from "./kms-requests.js";
import { KmsExceptionType, KmsServiceError } from "./kms-service-error.js";

/** Where the keys live, for ARNs: `arn:aws:kms:<region>:<accountId>:key/<id>`. */
export interface KmsOperationsOptions {
  region: string;
  accountId: string;
  /** How signatures pick between s and n − s. */
  highS: HighSPolicy;
}

/** The names of the operations {@link KmsOperations.handle} answers (the `<Op>` of `TrentService.<Op>`). */
export const KMS_OPERATIONS = [
  "CreateKey", "DescribeKey", "GetPublicKey", "Sign", "ListKeys", "CreateAlias", "ListAliases", "DisableKey", "EnableKey",
] as const;

/** One of {@link KMS_OPERATIONS}. */
export type KmsOperationName = (typeof KMS_OPERATIONS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The operations of a local KMS server on one key file. */
export class KmsOperations {
  constructor(
    private readonly file: KmsKeyFile,
    private readonly options: KmsOperationsOptions,
  ) {}

  /** Runs `operation` on a parsed JSON body and returns the JSON answer. */
  handle(operation: KmsOperationName, body: unknown): object {
    switch (operation) {
      case "CreateKey": return this.createKey(body);
      case "DescribeKey": return { KeyMetadata: this.keyMetadata(this.resolveKey(parseRequest(keyIdRequest, body).KeyId)) };
      case "GetPublicKey": return this.getPublicKey(body);
      case "Sign": return this.sign(body);
      case "ListKeys": return this.listKeys(body);
      case "CreateAlias": return this.createAlias(body);
      case "ListAliases": return this.listAliases(body);
      case "DisableKey": return this.setEnabled(body, false);
      case "EnableKey": return this.setEnabled(body, true);
    }
  }

  private createKey(body: unknown): object {
    const request = parseRequest(createKeyRequest, body);
    if (request.KeySpec && request.CustomerMasterKeySpec && request.KeySpec !== request.CustomerMasterKeySpec) {
      throw new KmsServiceError(KmsExceptionType.Validation, "KeySpec and CustomerMasterKeySpec differ; use KeySpec only.");
    }
    if ((request.Origin ?? "AWS_KMS") !== "AWS_KMS" || request.MultiRegion) {
      throw new KmsServiceError(KmsExceptionType.UnsupportedOperation, "The devnet KMS server creates only single-region AWS_KMS keys.");
    }
    const keySpec = request.KeySpec ?? request.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    const keyUsage = request.KeyUsage ?? "ENCRYPT_DECRYPT";
    const usages = DEVNET_KEY_SPECS[keySpec];
    if (!usages) throw new KmsServiceError(KmsExceptionType.UnsupportedOperation, `KeySpec ${keySpec} is not supported by the devnet KMS server.`);
    if (!usages.includes(keyUsage)) {
      throw new KmsServiceError(KmsExceptionType.Validation, `KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}.`);
    }
    const key: StoredKey = {
      keyId: randomUUID(), keySpec, keyUsage, description: request.Description ?? "", enabled: true,
      creationDate: nowSeconds(), privateKey: generatePrivateKey(keySpec),
    };
    this.file.addKey(key);
    return { KeyMetadata: this.keyMetadata(key) };
  }

  private getPublicKey(body: unknown): object {
    const key = this.usableKey(parseRequest(keyIdRequest, body).KeyId);
    return {
      KeyId: this.keyArn(key.keyId),
      PublicKey: publicKeyDer(key.keySpec, key.privateKey).toString("base64"),
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      KeyUsage: key.keyUsage,
      ...algorithmsOf(key),
    };
  }

  private sign(body: unknown): object {
    const request = parseRequest(signRequest, body);
    const key = this.usableKey(request.KeyId);
    const arn = this.keyArn(key.keyId);
    if (key.keyUsage !== "SIGN_VERIFY") {
      throw new KmsServiceError(KmsExceptionType.InvalidKeyUsage, `${arn} key usage is ${key.keyUsage} which is not valid for Sign.`);
    }
    if (!signingAlgorithmsOf(key.keySpec).includes(request.SigningAlgorithm)) {
      throw new KmsServiceError(KmsExceptionType.InvalidKeyUsage, `Algorithm ${request.SigningAlgorithm} is incompatible with key spec ${key.keySpec}.`);
    }
    if (key.keySpec !== "ECC_SECG_P256K1") {
      throw new KmsServiceError(KmsExceptionType.UnsupportedOperation, `The devnet KMS server signs only with ECC_SECG_P256K1 keys, not ${key.keySpec}.`);
    }
    const digest = messageDigest(request.Message, request.MessageType ?? "RAW");
    if (request.DryRun) {
      throw new KmsServiceError(KmsExceptionType.DryRunOperation, "The request would have succeeded, but the DryRun option is set.");
    }
    const signature = signSecp256k1Digest(key.privateKey, digest, this.options.highS);
    return { KeyId: arn, Signature: signature.toString("base64"), SigningAlgorithm: request.SigningAlgorithm };
  }

  private listKeys(body: unknown): object {
    const request = parseRequest(listKeysRequest, body);
    const { items, ...page } = paginate(this.file.keys, request.Limit, request.Marker);
    return { Keys: items.map((key) => ({ KeyId: key.keyId, KeyArn: this.keyArn(key.keyId) })), ...page };
  }

  private createAlias(body: unknown): object {
    const request = parseRequest(createAliasRequest, body);
    if (request.AliasName.startsWith("alias/aws/")) {
      throw new KmsServiceError(KmsExceptionType.Validation, "Alias names beginning with alias/aws/ are reserved for AWS managed keys.");
    }
    if (request.TargetKeyId.startsWith("alias/") || request.TargetKeyId.includes(":alias/")) {
      throw new KmsServiceError(KmsExceptionType.Validation, "TargetKeyId must be a key id or key ARN, not an alias.");
    }
    const key = this.resolveKey(request.TargetKeyId);
    if (this.file.findAlias(request.AliasName)) {
      throw new KmsServiceError(KmsExceptionType.AlreadyExists, `An alias with the name ${this.aliasArn(request.AliasName)} already exists`);
    }
    const now = nowSeconds();
    this.file.addAlias({ aliasName: request.AliasName, targetKeyId: key.keyId, creationDate: now, lastUpdatedDate: now });
    return {};
  }

  private listAliases(body: unknown): object {
    const request = parseRequest(listAliasesRequest, body);
    const keyId = request.KeyId === undefined ? undefined : this.resolveKey(request.KeyId).keyId;
    const aliases = this.file.aliases.filter((alias) => keyId === undefined || alias.targetKeyId === keyId);
    const { items, ...page } = paginate(aliases, request.Limit, request.Marker);
    return { Aliases: items.map((alias) => this.aliasListEntry(alias)), ...page };
  }

  private setEnabled(body: unknown, enabled: boolean): object {
    this.file.setEnabled(this.resolveKey(parseRequest(keyIdRequest, body).KeyId).keyId, enabled);
    return {};
  }

  /** A key id, key ARN, alias name or alias ARN → the key, or NotFoundException. */
  private resolveKey(keyIdOrAlias: string): StoredKey {
    let id = keyIdOrAlias;
    if (id.startsWith("arn:")) {
      const prefix = `arn:aws:kms:${this.options.region}:${this.options.accountId}:`;
      if (!id.startsWith(prefix) || !/^(key|alias)\//.test(id.slice(prefix.length))) {
        throw new KmsServiceError(KmsExceptionType.NotFound, `Invalid arn ${keyIdOrAlias}`);
      }
      id = id.slice(prefix.length).replace(/^key\//, "");
    }
    if (id.startsWith("alias/")) {
      const alias = this.file.findAlias(id);
      if (!alias) throw new KmsServiceError(KmsExceptionType.NotFound, `Alias ${this.aliasArn(id)} is not found.`);
      id = alias.targetKeyId;
    } else if (!UUID.test(id)) {
      throw new KmsServiceError(KmsExceptionType.NotFound, `Invalid keyId '${keyIdOrAlias}'`);
    }
    const key = this.file.findKey(id);
    if (!key) throw new KmsServiceError(KmsExceptionType.NotFound, `Key '${this.keyArn(id)}' does not exist`);
    return key;
  }

  /** Like {@link resolveKey}, and DisabledException when the key is disabled. */
  private usableKey(keyIdOrAlias: string): StoredKey {
    const key = this.resolveKey(keyIdOrAlias);
    if (!key.enabled) throw new KmsServiceError(KmsExceptionType.Disabled, `${this.keyArn(key.keyId)} is disabled.`);
    return key;
  }

  private keyMetadata(key: StoredKey): object {
    return {
      AWSAccountId: this.options.accountId,
      KeyId: key.keyId,
      Arn: this.keyArn(key.keyId),
      CreationDate: key.creationDate,
      Enabled: key.enabled,
      Description: key.description,
      KeyUsage: key.keyUsage,
      KeyState: key.enabled ? "Enabled" : "Disabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      ...algorithmsOf(key),
      MultiRegion: false,
    };
  }

  private aliasListEntry(alias: StoredAlias): object {
    return {
      AliasName: alias.aliasName,
      AliasArn: this.aliasArn(alias.aliasName),
      TargetKeyId: alias.targetKeyId,
      CreationDate: alias.creationDate,
      LastUpdatedDate: alias.lastUpdatedDate,
    };
  }

  private keyArn(keyId: string): string {
    return `arn:aws:kms:${this.options.region}:${this.options.accountId}:key/${keyId}`;
  }

  private aliasArn(aliasName: string): string {
    return `arn:aws:kms:${this.options.region}:${this.options.accountId}:${aliasName}`;
  }
}

/** The algorithm lists AWS reports for a key, by usage. */
function algorithmsOf(key: StoredKey): object {
  if (key.keyUsage === "SIGN_VERIFY") return { SigningAlgorithms: signingAlgorithmsOf(key.keySpec) };
  if (key.keyUsage === "ENCRYPT_DECRYPT") return { EncryptionAlgorithms: encryptionAlgorithmsOf(key.keySpec) };
  if (key.keyUsage === "KEY_AGREEMENT") return { KeyAgreementAlgorithms: ["ECDH"] };
  return {};
}

/** The 32-byte digest to sign: the message itself for DIGEST, its SHA-256 for RAW. */
function messageDigest(message: Buffer, messageType: "RAW" | "DIGEST" | "EXTERNAL_MU"): Buffer {
  if (messageType === "EXTERNAL_MU") {
    throw new KmsServiceError(KmsExceptionType.Validation, "MessageType EXTERNAL_MU is valid only with ML_DSA keys.");
  }
  if (messageType === "RAW") return createHash("sha256").update(message).digest();
  if (message.length !== 32) {
    throw new KmsServiceError(KmsExceptionType.Validation, "Digest is invalid length for algorithm ECDSA_SHA_256.");
  }
  return message;
}

/** One page of `items` from an opaque marker (the base64url of the next offset). */
function paginate<T>(items: readonly T[], limit = 100, marker?: string): { items: T[]; Truncated: boolean; NextMarker?: string } {
  const offset = marker === undefined ? 0 : Number(Buffer.from(marker, "base64url").toString("utf8"));
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > items.length) {
    throw new KmsServiceError(KmsExceptionType.InvalidMarker, "The marker is not one this server returned.");
  }
  const end = offset + limit;
  const truncated = end < items.length;
  const page = { items: items.slice(offset, end), Truncated: truncated };
  return truncated ? { ...page, NextMarker: Buffer.from(String(end), "utf8").toString("base64url") } : page;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

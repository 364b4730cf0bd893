/**
 * The local KMS server's key file: keys and aliases as JSON, owned by the devnet, mode 0600, labelled as
 * DEVELOPMENT keys at the top level. Every change is written to a temporary file (created 0600) and renamed
 * over the old one, so a crash never leaves a half-written file.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as z from "zod";
import { AWS_KEY_SPECS, AWS_KEY_USAGES, type AwsKeySpec, type AwsKeyUsage } from "./key-material.js";

/** The label written at the top of every key file. */
export const DEVELOPMENT_KEYS_WARNING =
  "DEVELOPMENT KEYS ONLY. These private keys are stored in plain text by the PayRox devnet's local KMS server. " +
  "Never use them for real funds or on a public network; anyone who can read this file can sign with them.";

/** The format tag of the key file. */
export const KEY_FILE_FORMAT = "payrox-devnet-kms-keys/1";

/** A key as stored in the key file. */
export interface StoredKey {
  /** A UUID, as KMS key ids are. */
  keyId: string;
  keySpec: AwsKeySpec;
  keyUsage: AwsKeyUsage;
  description: string;
  enabled: boolean;
  /** Seconds since the epoch. */
  creationDate: number;
  /** 0x-hex scalar (ECC_SECG_P256K1), base64 PKCS#8 DER (other asymmetric), base64 bytes (symmetric). */
  privateKey: string;
}

/** An alias as stored in the key file. */
export interface StoredAlias {
  /** `alias/<name>` */
  aliasName: string;
  targetKeyId: string;
  creationDate: number;
  lastUpdatedDate: number;
}

const storedKeySchema = z.object({
  keyId: z.uuid(),
  keySpec: z.enum(AWS_KEY_SPECS),
  keyUsage: z.enum(AWS_KEY_USAGES),
  description: z.string(),
  enabled: z.boolean(),
  creationDate: z.number(),
  privateKey: z.string().min(1),
});

const storedAliasSchema = z.object({
  aliasName: z.string().startsWith("alias/"),
  targetKeyId: z.uuid(),
  creationDate: z.number(),
  lastUpdatedDate: z.number(),
});

const keyFileSchema = z.object({
  warning: z.string(),
  developmentKeysOnly: z.literal(true),
  format: z.literal(KEY_FILE_FORMAT),
  keys: z.array(storedKeySchema),
  aliases: z.array(storedAliasSchema),
});

type KeyFileContent = z.infer<typeof keyFileSchema>;

/** The keys and aliases of one local KMS server, backed by a JSON file. */
export class KmsKeyFile {
  private constructor(
    /** Path of the JSON file. */
    readonly path: string,
    private readonly content: KeyFileContent,
  ) {}

  /**
   * Opens the key file at `path`, creating it (mode 0600, parent directories 0700) when absent. An existing
   * file readable by others is narrowed to 0600.
   *
   * @throws if the file exists but is not a PayRox devnet key file (it is then left untouched).
   */
  static open(path: string): KmsKeyFile {
    if (!existsSync(path)) {
      const file = new KmsKeyFile(path, emptyContent());
      file.save();
      return file;
    }
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return new KmsKeyFile(path, readContent(path));
  }

  /** All keys, oldest first. */
  get keys(): readonly StoredKey[] {
    return this.content.keys;
  }

  /** All aliases, oldest first. */
  get aliases(): readonly StoredAlias[] {
    return this.content.aliases;
  }

  /** The key with this UUID, if any. */
  findKey(keyId: string): StoredKey | undefined {
    return this.content.keys.find((key) => key.keyId === keyId);
  }

  /** The alias with this `alias/<name>`, if any. */
  findAlias(aliasName: string): StoredAlias | undefined {
    return this.content.aliases.find((alias) => alias.aliasName === aliasName);
  }

  /** Adds a key and writes the file. */
  addKey(key: StoredKey): void {
    this.content.keys.push(key);
    this.save();
  }

  /** Adds an alias and writes the file. */
  addAlias(alias: StoredAlias): void {
    this.content.aliases.push(alias);
    this.save();
  }

  /** Enables or disables a key and writes the file. */
  setEnabled(keyId: string, enabled: boolean): void {
    const key = this.findKey(keyId);
    if (!key) throw new Error(`no key ${keyId} in ${this.path}`);
    key.enabled = enabled;
    this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    // "wx" after removing a leftover: the mode applies only when the file is created.
    rmSync(temporary, { force: true });
    writeFileSync(temporary, `${JSON.stringify(this.content, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    renameSync(temporary, this.path);
  }
}

function emptyContent(): KeyFileContent {
  return { warning: DEVELOPMENT_KEYS_WARNING, developmentKeysOnly: true, format: KEY_FILE_FORMAT, keys: [], aliases: [] };
}

function readContent(path: string): KeyFileContent {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path} is not valid JSON; move it away to let the devnet KMS server create a new key file`, { cause: error });
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${path} is not a PayRox devnet KMS key file (${z.prettifyError(parsed.error)}); point the server at another path`);
  }
  return parsed.data;
}

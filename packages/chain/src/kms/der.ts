/**
 * Strict DER parsing of what AWS KMS returns for an ECC_SECG_P256K1 key: the SubjectPublicKeyInfo of
 * `GetPublicKey` and the ECDSA signature of `Sign`. Strict means: definite minimal lengths, minimal
 * positive integers, no trailing bytes, and the exact algorithm identifiers — anything else is rejected
 * rather than guessed at, because a misparsed key would mean a wrong address.
 */

/** The secp256k1 group order n. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** An ECDSA signature's two integers. */
export interface EcdsaSignatureValues {
  r: bigint;
  s: bigint;
}

/** A DER structure that does not match what KMS must send. */
export class DerFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerFormatError";
  }
}

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
/** DER contents of the OID id-ecPublicKey, 1.2.840.10045.2.1. */
const OID_EC_PUBLIC_KEY = "2a8648ce3d0201";
/** DER contents of the OID secp256k1, 1.3.132.0.10. */
const OID_SECP256K1 = "2b8104000a";

interface Tlv {
  tag: number;
  value: Uint8Array;
  /** Offset just past this element. */
  end: number;
}

/**
 * The 65-byte uncompressed point (0x04 ‖ X ‖ Y) of a DER SubjectPublicKeyInfo whose algorithm is
 * id-ecPublicKey on secp256k1.
 *
 * @throws DerFormatError on any other structure, algorithm or curve (the message names the OIDs found).
 */
export function parseSecp256k1PublicKeyDer(der: Uint8Array): Uint8Array {
  const [algorithm, subjectPublicKey] = readWhole(der, TAG_SEQUENCE, 2, "SubjectPublicKeyInfo");
  const [algorithmOid, curveOid] = children(expectTag(algorithm!, TAG_SEQUENCE, "AlgorithmIdentifier").value, 2, "AlgorithmIdentifier");
  const algorithmHex = hex(expectTag(algorithmOid!, TAG_OID, "algorithm").value);
  if (algorithmHex !== OID_EC_PUBLIC_KEY) {
    throw new DerFormatError(`public key algorithm is ${oidText(algorithmOid!.value)}, expected id-ecPublicKey 1.2.840.10045.2.1`);
  }
  const curve = expectTag(curveOid!, TAG_OID, "named curve").value;
  if (hex(curve) !== OID_SECP256K1) throw new DerFormatError(`curve is ${oidText(curve)}, expected secp256k1 1.3.132.0.10`);
  const bits = expectTag(subjectPublicKey!, TAG_BIT_STRING, "subjectPublicKey").value;
  if (bits.length !== 66 || bits[0] !== 0x00 || bits[1] !== 0x04) {
    throw new DerFormatError("subjectPublicKey is not a 65-byte uncompressed point (0x04 ‖ X ‖ Y) with no unused bits");
  }
  return bits.slice(1);
}

/**
 * (r, s) of a DER `SEQUENCE { INTEGER r, INTEGER s }` secp256k1 signature. s may be high (KMS does not
 * normalise it); both values must be in [1, n − 1].
 *
 * @throws DerFormatError on a malformed encoding or an out-of-range value.
 */
export function parseDerEcdsaSignature(der: Uint8Array): EcdsaSignatureValues {
  const [r, s] = readWhole(der, TAG_SEQUENCE, 2, "ECDSA signature").map((element, index) => scalar(element, index === 0 ? "r" : "s"));
  return { r: r!, s: s! };
}

/** `s` or `n − s`, whichever is at most n / 2 (the form Ethereum accepts, EIP-2). */
export function toLowS(s: bigint): bigint {
  return s > SECP256K1_N / 2n ? SECP256K1_N - s : s;
}

/** Whether `s` is above n / 2 (a signature Ethereum rejects until normalised). */
export function isHighS(s: bigint): boolean {
  return s > SECP256K1_N / 2n;
}

/** The `count` children of the single element that spans all of `der`, which must have tag `tag`. */
function readWhole(der: Uint8Array, tag: number, count: number, what: string): Tlv[] {
  const outer = readTlv(der, 0, what);
  if (outer.end !== der.length) throw new DerFormatError(`${what}: ${der.length - outer.end} trailing bytes`);
  return children(expectTag(outer, tag, what).value, count, what);
}

/** Exactly `count` consecutive elements filling `bytes`. */
function children(bytes: Uint8Array, count: number, what: string): Tlv[] {
  const elements: Tlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const element = readTlv(bytes, offset, what);
    elements.push(element);
    offset = element.end;
  }
  if (elements.length !== count) throw new DerFormatError(`${what}: ${elements.length} elements, expected ${count}`);
  return elements;
}

/** One tag-length-value element at `offset`, with DER's minimal definite length (≤ 2 length bytes). */
function readTlv(bytes: Uint8Array, offset: number, what: string): Tlv {
  if (offset + 2 > bytes.length) throw new DerFormatError(`${what}: truncated`);
  const tag = bytes[offset]!;
  const first = bytes[offset + 1]!;
  let position = offset + 2;
  let length = first;
  if (first >= 0x80) {
    const lengthBytes = first & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 2 || position + lengthBytes > bytes.length) throw new DerFormatError(`${what}: invalid length`);
    length = 0;
    for (let i = 0; i < lengthBytes; i++) length = length * 256 + bytes[position++]!;
    if (length < 0x80 || (lengthBytes === 2 && length < 0x100)) throw new DerFormatError(`${what}: non-minimal length`);
  }
  if (position + length > bytes.length) throw new DerFormatError(`${what}: truncated`);
  return { tag, value: bytes.subarray(position, position + length), end: position + length };
}

function expectTag(element: Tlv, tag: number, what: string): Tlv {
  if (element.tag !== tag) throw new DerFormatError(`${what}: tag 0x${element.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return element;
}

/** A minimal positive DER INTEGER in [1, n − 1]. */
function scalar(element: Tlv, name: string): bigint {
  const bytes = expectTag(element, TAG_INTEGER, name).value;
  if (bytes.length === 0 || bytes.length > 33) throw new DerFormatError(`${name}: ${bytes.length}-byte integer`);
  if (bytes[0]! & 0x80) throw new DerFormatError(`${name}: negative integer`);
  if (bytes.length > 1 && bytes[0] === 0 && !(bytes[1]! & 0x80)) throw new DerFormatError(`${name}: non-minimal integer`);
  const value = BigInt(`0x${hex(bytes)}`);
  if (value === 0n || value >= SECP256K1_N) throw new DerFormatError(`${name}: out of range [1, n − 1]`);
  return value;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Dotted text of an OID's contents, for error messages. */
function oidText(contents: Uint8Array): string {
  if (contents.length === 0) return "(empty OID)";
  const arcs = [Math.floor(contents[0]! / 40), contents[0]! % 40];
  let arc = 0;
  for (const byte of contents.subarray(1)) {
    arc = arc * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(arc);
      arc = 0;
    }
  }
  return arcs.join(".");
}

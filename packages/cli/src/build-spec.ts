/**
 * The build spec: a JSON file saying which compiled facets a manifest routes, where they live, what it
 * removes and which initializer activation runs. Validated with zod; every problem is reported with its field path.
 */
import { dirname, resolve } from "node:path";
import { FunctionFragment } from "ethers/abi";
import * as z from "zod";
import { AddressSchema, Bytes32Schema, ManifestConflictError, ManifestSchema, zodIssues, type BuildInput, type ManifestIssue } from "@payrox/core";
import { ArtifactIndex, type ArtifactKind } from "./artifacts.js";
import { BuildSpecInvalidError } from "./errors.js";
import { readTextFile } from "./files.js";

const HexBytes = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "must be 0x followed by an even number of hex digits");

const Create2Schema = z
  .object({
    salt: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "salt must be 0x followed by 64 hex digits"),
    deployer: AddressSchema.optional().describe("CREATE2 deployer; default the canonical factory 0x4e59b44847b379578588920cA78FbF26c0B4956C"),
    constructorArgs: HexBytes.optional().describe("ABI-encoded constructor arguments; default 0x"),
  })
  .strict()
  .describe("a contract to be deployed with CREATE2: its address is predicted");

const ArtifactName = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, "a contract name (letters, digits, '_' or '$')");
const ONE_LOCATION = { message: "give exactly one of `address` (deployed) and `create2` (predicted)" };

/** One facet of a build spec. */
export const FacetSpecSchema = z
  .object({
    artifact: ArtifactName.describe("contract name; its <Name>.json is looked up under `artifacts`"),
    address: AddressSchema.optional().describe("a deployed facet's address (EIP-55)"),
    create2: Create2Schema.optional(),
    functions: z.array(z.string().min(1)).min(1).optional().describe("functions to route, by signature or unique name; default all"),
    exclude: z.array(z.string().min(1)).min(1).optional().describe("functions not to route, by signature or unique name; the others are routed"),
  })
  .strict()
  .refine((f) => (f.address === undefined) !== (f.create2 === undefined), ONE_LOCATION)
  .refine((f) => f.functions === undefined || f.exclude === undefined, { message: "give `functions` (what to route) or `exclude` (what not to route), not both", path: ["exclude"] });

/** The initializer of a build spec: a contract, where it lives, and the call activation makes. */
export const InitSpecSchema = z
  .object({
    artifact: ArtifactName.describe("contract name of the initializer"),
    address: AddressSchema.optional().describe("the initializer's deployed address (EIP-55)"),
    create2: Create2Schema.optional(),
    call: z.string().min(1).optional().describe("function to call, by signature (migrate(uint256)) or unique name"),
    args: z.array(z.unknown()).optional().describe("arguments of `call` (JSON; big numbers as decimal strings)"),
    calldata: HexBytes.optional().describe("raw ABI-encoded calldata instead of call + args"),
  })
  .strict()
  .refine((f) => (f.address === undefined) !== (f.create2 === undefined), ONE_LOCATION)
  .refine((f) => (f.call === undefined) !== (f.calldata === undefined), { message: "give exactly one of `call` (with `args`) and `calldata`" })
  .refine((f) => f.args === undefined || f.call !== undefined, { message: "`args` go with `call`; `calldata` is already encoded", path: ["args"] });

export type InitSpec = z.infer<typeof InitSpecSchema>;

/** A build spec file. */
export const BuildSpecSchema = z
  .object({
    name: ManifestSchema.shape.name,
    baseEpoch: ManifestSchema.shape.baseEpoch,
    previousRoot: Bytes32Schema.describe("active root at baseEpoch, lowercase (zero hash at epoch 0)"),
    artifacts: z.string().min(1, "the Hardhat artifacts or Foundry out/ directory (relative to the spec file)"),
    facets: z.array(FacetSpecSchema),
    remove: z.array(z.string().min(1)).optional().describe("selectors (0x12345678) or signatures to remove"),
    init: InitSpecSchema.optional().describe("initializer activation runs right after the switch"),
  })
  .strict()
  .refine((s) => s.facets.length + (s.remove?.length ?? 0) > 0, { message: "a spec needs at least one facet or one removal", path: ["facets"] });

export type BuildSpec = z.infer<typeof BuildSpecSchema>;

/** One artifact a spec read: for which field, which contract, which file, and which kind. */
export interface ArtifactRead {
  path: string;
  name: string;
  file: string;
  kind: ArtifactKind;
}

/** A loaded spec: the builder's input and the artifacts it came from. */
export interface LoadedBuildSpec {
  spec: BuildSpec;
  input: BuildInput;
  artifacts: ArtifactIndex;
  /** Every artifact read, in spec order (facets, then the initializer). */
  read: ArtifactRead[];
}

/** Options of {@link loadBuildSpec}. */
export interface LoadBuildSpecOptions {
  /** An initializer given on the command line, used instead of the spec's (which must then have none). */
  init?: InitSpec;
  /** The command reads the contracts' code from the chain (`--rpc`): a bare ABI artifact is enough. @default false */
  codeFromChain?: boolean;
}

/**
 * Reads and validates the spec at `path`, and loads its artifacts (Hardhat, Foundry or bare ABI).
 * @throws FileAccessError (unreadable); BuildSpecInvalidError naming each bad field (JSON, schema, artifacts).
 */
export async function loadBuildSpec(path: string, { init, codeFromChain = false }: LoadBuildSpecOptions = {}): Promise<LoadedBuildSpec> {
  const text = await readTextFile(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BuildSpecInvalidError(path, [{ path: "", message: `not valid JSON (${(error as Error).message})` }], { cause: error });
  }
  const parsed = BuildSpecSchema.safeParse(value);
  if (!parsed.success) throw new BuildSpecInvalidError(path, zodIssues(parsed.error), { cause: parsed.error });
  if (init && parsed.data.init) throw new BuildSpecInvalidError(path, [{ path: "init", message: "the spec has an initializer and the command line gives one: keep one of them" }]);
  const spec = init ? { ...parsed.data, init } : parsed.data;
  const artifactsDir = resolve(dirname(path), spec.artifacts);
  const artifacts = await ArtifactIndex.scan(artifactsDir);
  if (!artifacts) throw new BuildSpecInvalidError(path, [{ path: "artifacts", message: `${artifactsDir} is not a readable directory` }]);
  const issues: ManifestIssue[] = [];
  const facets: BuildInput["facets"] = [];
  const read: ArtifactRead[] = [];
  for (const [i, facet] of spec.facets.entries()) {
    const artifact = await artifacts.load(facet.artifact, `facets[${i}].artifact`, issues, { codeFromChain });
    if (!artifact) continue;
    read.push({ path: `facets[${i}].artifact`, name: facet.artifact, file: artifact.path, kind: artifact.kind });
    facets.push({ name: facet.artifact, abi: artifact.abi, bytecode: artifact.bytecode, deployedBytecode: artifact.deployedBytecode, address: facet.address, create2: facet.create2, functions: facet.functions, exclude: facet.exclude });
  }
  const remove = spec.remove?.map((item, i) => canonicalRemoval(item, `remove[${i}]`, issues));
  let initInput: BuildInput["init"];
  if (spec.init) {
    const artifact = await artifacts.load(spec.init.artifact, "init.artifact", issues, { codeFromChain });
    const { artifact: name, ...call } = spec.init;
    if (artifact) {
      read.push({ path: "init.artifact", name, file: artifact.path, kind: artifact.kind });
      initInput = { name, abi: artifact.abi, bytecode: artifact.bytecode, deployedBytecode: artifact.deployedBytecode, ...call };
    }
  }
  if (issues.length) throw new BuildSpecInvalidError(path, issues);
  return { spec, artifacts, read, input: { name: spec.name, baseEpoch: spec.baseEpoch, previousRoot: spec.previousRoot, facets, remove, ...(initInput && { init: initInput }) } };
}

/**
 * A removal by signature in canonical form ("f(uint)" → "f(uint256)", spaces dropped): the builder
 * hashes the text as given, so a non-canonical signature would silently remove the wrong selector.
 * Selectors (0x…) pass through; the builder checks them.
 */
function canonicalRemoval(item: string, path: string, issues: ManifestIssue[]): string {
  if (/^0x/i.test(item)) return item;
  try {
    return FunctionFragment.from(item).format("sighash");
  } catch {
    issues.push({ path, message: `"${item}" is neither a selector (0x12345678) nor a function signature (name(types))` });
    return item;
  }
}

/**
 * The spec's field paths in a builder error (facets[i]…, remove[i], init…) refer to the spec: report them
 * as such (a facet's `name` is the spec's `artifact`). Conflicts stay a ManifestConflictError.
 */
export function asSpecIssues(path: string, issues: readonly ManifestIssue[], cause: unknown): BuildSpecInvalidError | ManifestConflictError | undefined {
  if (!issues.every((i) => /^((facets|remove)\[\d+\]|init(\.|$))/.test(i.path))) return undefined;
  const toSpec = (p: string) => p.replace(/^(facets\[\d+\])\.name$/, "$1.artifact");
  const mapped = issues.map((i) => ({
    ...i,
    path: toSpec(i.path),
    ...(i.conflict && { conflict: { ...i.conflict, facet: { ...i.conflict.facet, path: toSpec(i.conflict.facet.path) }, ...(i.conflict.other && { other: { ...i.conflict.other, path: toSpec(i.conflict.other.path) } }) } }),
    message: i.message.replace(/(facets\[\d+\])\.name\b/g, "$1.artifact"),
  }));
  return cause instanceof ManifestConflictError ? new ManifestConflictError(mapped) : new BuildSpecInvalidError(path, mapped, { cause });
}

/**
 * The custom errors the ManifestDispatcher (router + admin facet, including the OpenZeppelin errors they
 * inherit) can revert with, as human-readable ABI. Kept in code so this package needs no compiled
 * artifacts at runtime; a test checks it against contracts/artifacts, so it cannot drift silently.
 */
import { Interface } from "ethers";

/** Every error of ManifestDispatcher.json and DispatcherAdminFacet.json (union, by signature). */
export const DISPATCHER_ERROR_ABI: readonly string[] = [
  // IManifestDispatcher (v2)
  "error ActivationDelayOutOfRange(uint64 delay, uint64 min, uint64 max)",
  "error ActivationNotReady(uint64 eta, uint64 now_)",
  "error ActivationPaused()",
  "error BatchTooLarge(uint256 size, uint256 max)",
  "error CancelInProgress(bytes32 root)",
  "error CancelTargetMismatch(bytes32 pendingRoot, uint64 pendingEpoch)",
  "error CodehashMismatch(address facet, bytes32 expected, bytes32 actual)",
  "error DuplicateSelector(bytes4 selector)",
  "error EpochMismatch(uint64 expected, uint64 actual)",
  "error FacetHasNoCode(address facet)",
  "error FacetTooLarge(address facet, uint256 size)",
  "error FunctionNotFound(bytes4 selector)",
  "error InitializerFailed(address facet)",
  "error InvalidCommitment(bytes32 root, uint32 leafCount)",
  "error InvalidConfiguration()",
  "error InvalidFacet(address facet)",
  "error InvalidProof()",
  "error LeafCountExceeded(uint256 applied, uint32 leafCount)",
  "error MalformedBatch()",
  "error ManifestBindingMismatch(bytes32 expected, bytes32 actual)",
  "error ManifestHeaderMismatch(bytes32 root, uint32 leafCount)",
  "error ManifestIncomplete(uint32 applied, uint32 expected)",
  "error NoPendingRoot()",
  "error PauseStateUnchanged(bool paused)",
  "error PendingRootExists(bytes32 pendingRoot)",
  "error ProtectedSelector(bytes4 selector)",
  "error RootExpired(uint64 deadline, uint64 now_)",
  // OpenZeppelin (AccessControl, DefaultAdminRules, Initializable, Address, MerkleProof, SafeCast)
  "error AccessControlBadConfirmation()",
  "error AccessControlEnforcedDefaultAdminDelay(uint48 schedule)",
  "error AccessControlEnforcedDefaultAdminRules()",
  "error AccessControlInvalidDefaultAdmin(address defaultAdmin)",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error AddressEmptyCode(address target)",
  "error FailedCall()",
  "error InvalidInitialization()",
  "error MerkleProofInvalidMultiproof()",
  "error NotInitializing()",
  "error SafeCastOverflowedUintDowncast(uint8 bits, uint256 value)",
];

/** An ethers Interface that decodes every dispatcher error (plus `extraAbi`, e.g. a facet's errors). */
export function dispatcherErrorInterface(extraAbi: readonly string[] = []): Interface {
  const seen = new Set<string>();
  const fragments = [...DISPATCHER_ERROR_ABI, ...extraAbi].filter((f) => !seen.has(f) && seen.add(f));
  return new Interface(fragments);
}

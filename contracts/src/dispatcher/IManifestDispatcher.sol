// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title IManifestDispatcher
/// @notice A diamond-style router whose routing table changes only through a time-locked manifest
/// lifecycle: commit a Merkle root → apply its leaves in proven batches (staged, not callable) →
/// activate all staged routes at once after the delay. See DESIGN.md "The contract".
///
/// Leaf = OpenZeppelin StandardMerkleTree leaf of `(bytes4 selector, address facet, bytes32 codehash)`:
/// `keccak256(bytes.concat(keccak256(abi.encode(selector, facet, codehash))))`. `facet == address(0)`
/// removes the selector.
interface IManifestDispatcher {
    /// @dev One entry of an apply batch's facet table: the facet and the code hash its leaves carry.
    struct FacetPin {
        address facet;
        bytes32 codehash;
    }

    /// @dev One EIP-2535 loupe record.
    struct Facet {
        address facetAddress;
        bytes4[] functionSelectors;
    }

    // ───────────────────────────── errors ─────────────────────────────

    /// @dev Activation attempted before the pending root's ETA.
    error ActivationNotReady(uint64 eta, uint64 now_);
    /// @dev The pending root's activation window `[eta, eta + expiryWindow]` has passed.
    error RootExpired(uint64 deadline, uint64 now_);
    /// @dev A facet's EXTCODEHASH differs from the code hash its manifest leaves pin.
    error CodehashMismatch(address facet, bytes32 expected, bytes32 actual);
    /// @dev The batch's multiproof does not prove its leaves against the pending root.
    error InvalidProof();
    /// @dev The selector is already staged by this manifest (or twice in this batch).
    error DuplicateSelector(bytes4 selector);
    /// @dev The batch holds more leaves than the dispatcher's batch size limit.
    error BatchTooLarge(uint256 size, uint256 max);
    /// @dev The facet has no runtime code.
    error FacetHasNoCode(address facet);
    /// @dev The facet's runtime code exceeds the EIP-170 limit of 24,576 bytes.
    error FacetTooLarge(address facet, uint256 size);
    /// @dev Activation attempted before every leaf of the manifest was applied.
    error ManifestIncomplete(uint32 applied, uint32 expected);
    /// @dev The root was committed before (cancelled, expired or activated roots are consumed).
    error RootAlreadyUsed(bytes32 root);
    /// @dev A root is already pending; cancel it first.
    error PendingRootExists(bytes32 pendingRoot);
    /// @dev There is no pending root.
    error NoPendingRoot();
    /// @dev The selector belongs to the dispatcher (or is the reserved 0x00000000) and can't be routed or disabled.
    error ProtectedSelector(bytes4 selector);
    /// @dev No live route serves the selector (unknown, staged only, removed or disabled).
    error FunctionNotFound(bytes4 selector);
    /// @dev The committed epoch must be `activeEpoch + 1`.
    error EpochMismatch(uint64 expected, uint64 actual);
    /// @dev A commitment needs a non-zero root and at least one leaf.
    error InvalidCommitment(bytes32 root, uint32 leafCount);
    /// @dev Applying the batch would exceed the committed leaf count.
    error LeafCountExceeded(uint256 applied, uint32 leafCount);
    /// @dev The batch encoding is malformed (leaf bytes, facet index or proof flag length).
    error MalformedBatch();
    /// @dev The dispatcher itself, its admin facet or an EIP-7702 delegated account can't be a manifest facet.
    error InvalidFacet(address facet);
    /// @dev A manifest may pin at most 255 distinct facets.
    error TooManyFacets(uint256 max);
    /// @dev The activation delay must lie in `[min, max]`.
    error ActivationDelayOutOfRange(uint64 delay, uint64 min, uint64 max);
    /// @dev A constructor argument is out of range (zero minimum delay or expiry window or batch size,
    /// delay below the minimum or above 365 days).
    error InvalidConfiguration();
    /// @dev `pause` while paused, or `unpause` while not paused.
    error PauseStateUnchanged(bool paused);

    // ───────────────────────────── events ─────────────────────────────

    /// @dev A manifest root was committed for `epoch`; it can be activated from `eta`.
    event RootCommitted(bytes32 indexed root, uint64 epoch, uint64 eta, uint32 leafCount);
    /// @dev `count` leaves of the pending manifest were proven and staged (emitted for 0 too).
    event RoutesApplied(bytes32 indexed root, uint256 count);
    /// @dev Every staged route of the manifest went live at once.
    event RootActivated(bytes32 indexed root, uint64 epoch);
    /// @dev The pending root was cancelled and its `unstaged` staged routes were discarded.
    event RootCancelled(bytes32 indexed root, uint64 epoch, uint256 unstaged);
    /// @dev An emergency disabled the live route of `selector` (which pointed at `facet`).
    event SelectorDisabled(bytes4 indexed selector, address facet);
    /// @dev The activation delay for future commits changed.
    event ActivationDelaySet(uint64 previousDelay, uint64 newDelay);
    /// @dev Routed calls were paused by `account`.
    event Paused(address account);
    /// @dev Routed calls were resumed by `account`.
    event Unpaused(address account);

    // ─────────────────────── lifecycle (router) ───────────────────────

    /// @notice Commit a manifest root for epoch `activeEpoch + 1`; ETA = now + activationDelay.
    /// @dev Requirements: COMMIT_ROLE; no pending root; root never committed before; leafCount > 0.
    /// Emits {RootCommitted}.
    function commitRoot(bytes32 root, uint64 epoch, uint32 leafCount) external;

    /// @notice Prove and stage a batch of the pending manifest's leaves (not callable until activation).
    /// @param facets Facet table: each distinct facet of the batch with its pinned code hash.
    /// @param leaves Packed leaves, 5 bytes each: `bytes4 selector ‖ uint8 index into facets`,
    /// in the leaf order of the OpenZeppelin multiproof.
    /// @param proof Multiproof sibling hashes.
    /// @param proofFlags Multiproof flags as a bitmap: flag i is bit `i % 8` (LSB first) of byte `i / 8`;
    /// exactly `ceil((leafCount + proof.length - 1) / 8)` bytes.
    /// @dev Requirements: APPLY_ROLE; pending root not expired; batch within the size limit; each facet
    /// with code, ≤ 24,576 bytes and EXTCODEHASH equal to its pin; no protected or already-staged selector.
    /// Emits {RoutesApplied}.
    function applyRoutes(
        FacetPin[] calldata facets,
        bytes calldata leaves,
        bytes32[] calldata proof,
        bytes calldata proofFlags
    ) external;

    /// @notice Make every staged route of the pending manifest live at once.
    /// @dev Requirements: APPLY_ROLE; `eta ≤ now ≤ eta + expiryWindow`; all leaves applied; every pinned
    /// facet's EXTCODEHASH unchanged. Emits {RootActivated}.
    function activateCommittedRoot() external;
}

/// @title IManifestDispatcherAdmin
/// @notice The dispatcher functions served by its admin facet (routed at construction, epoch 0,
/// never re-routable, callable while paused). Roles are OpenZeppelin `AccessControlDefaultAdminRules`.
interface IManifestDispatcherAdmin {
    /// @notice Discard the pending root and unstage its staged routes (replaced routes are restored).
    /// @dev Requirements: COMMIT_ROLE or EMERGENCY_ROLE; a pending (possibly expired) root. Emits {RootCancelled}.
    function cancelCommittedRoot() external;

    /// @notice Disable a live selector at once (emergency; allowed while paused).
    /// @dev Requirements: EMERGENCY_ROLE; not a protected selector; the selector has a live route.
    /// Emits {SelectorDisabled}.
    function disableSelector(bytes4 selector) external;

    /// @notice Stop every routed call (the admin functions stay callable). Requirements: EMERGENCY_ROLE.
    function pause() external;

    /// @notice Resume routed calls. Requirements: DEFAULT_ADMIN_ROLE.
    function unpause() external;

    /// @notice Set the delay between a future commit and its ETA.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; `minActivationDelay ≤ delay ≤ MAX_ACTIVATION_DELAY`.
    /// Emits {ActivationDelaySet}.
    function setActivationDelay(uint64 delay) external;

    function activeRoot() external view returns (bytes32);
    function activeEpoch() external view returns (uint64);
    function pendingRoot() external view returns (bytes32);
    function pendingEpoch() external view returns (uint64);
    function pendingEta() external view returns (uint64);
    function pendingProgress() external view returns (uint32 applied, uint32 leafCount);
    function activationDelay() external view returns (uint64);
    function minActivationDelay() external view returns (uint64);
    function expiryWindow() external view returns (uint64);
    function maxBatchSize() external view returns (uint32);
    function paused() external view returns (bool);
    function adminFacet() external view returns (address);
    function isRootConsumed(bytes32 root) external view returns (bool);
}

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
///
/// The tree also holds one **header leaf** `(0x00000000, address(0), keccak256(abi.encode(uint256
/// leafCount, bytes32 binding)))`, proven at commit, so the tree itself fixes how many route leaves
/// must be applied before activation (a committer can't claim fewer), where
/// `binding = keccak256(abi.encode(keccak256(abi.encode(FacetPin[] facets)), initHash))` and
/// `initHash = keccak256(abi.encode(initFacet, initCodehash, keccak256(initData)))` fix the manifest's facet
/// list — which every apply batch carries whole and its leaves index into, and which activation
/// re-verifies — and the initializer activation runs.
///
/// Every commit takes a new epoch (`nextEpoch()`, one more than the last commit's, cancelled or not), so
/// a commitment `(chainid, dispatcher, epoch, root)` is unique: a cancelled or expired one can never be
/// committed again, while the same route set can be committed again later as a new commitment.
interface IManifestDispatcher {
    /// @dev A facet and its code hash: an apply batch's facet table, or the manifest's facet list.
    struct FacetPin {
        address facet;
        bytes32 codehash;
    }

    /// @dev The optional initializer activation delegatecalls right after the switch (facet 0 = none).
    struct Initializer {
        address facet;
        bytes32 codehash;
        bytes data;
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
    /// @dev The header proof does not prove `(leafCount, binding)` as the tree's header leaf.
    error ManifestHeaderMismatch(bytes32 root, uint32 leafCount);
    /// @dev The facet list and initializer given to activation are not the ones the commit bound.
    error ManifestBindingMismatch(bytes32 expected, bytes32 actual);
    /// @dev Activation is refused while the dispatcher is paused.
    error ActivationPaused();
    /// @dev A chunked cancel of the pending root has started: only further cancel chunks are accepted.
    error CancelInProgress(bytes32 root);
    /// @dev The cancel names another root or epoch than the pending one.
    error CancelTargetMismatch(bytes32 pendingRoot, uint64 pendingEpoch);
    /// @dev The initializer reverted without a reason.
    error InitializerFailed(address facet);
    /// @dev A root is already pending; cancel it first.
    error PendingRootExists(bytes32 pendingRoot);
    /// @dev There is no pending root.
    error NoPendingRoot();
    /// @dev The selector belongs to the dispatcher (or is the reserved 0x00000000) and can't be routed or disabled.
    error ProtectedSelector(bytes4 selector);
    /// @dev No live route serves the selector (unknown, staged only, removed or disabled).
    error FunctionNotFound(bytes4 selector);
    /// @dev The committed epoch must be `nextEpoch()` (the last commit's epoch + 1).
    error EpochMismatch(uint64 expected, uint64 actual);
    /// @dev A commitment needs a non-zero root and 1..16,777,215 leaves.
    error InvalidCommitment(bytes32 root, uint32 leafCount);
    /// @dev Applying the batch would exceed the committed leaf count.
    error LeafCountExceeded(uint256 applied, uint32 leafCount);
    /// @dev The batch encoding is malformed (leaf bytes, facet index or proof flag length).
    error MalformedBatch();
    /// @dev The dispatcher itself, its admin facet or an EIP-7702 delegated account can't be a manifest facet.
    error InvalidFacet(address facet);
    /// @dev The activation delay must lie in `[min, max]`.
    error ActivationDelayOutOfRange(uint64 delay, uint64 min, uint64 max);
    /// @dev A constructor argument is out of range (zero minimum delay or expiry window or batch size,
    /// delay below the minimum, delay or expiry window above 30 days).
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
    /// @dev A cancel of the pending root started: commit, apply and activate are blocked until it completes.
    event CancelStarted(bytes32 indexed root, uint64 epoch);
    /// @dev A cancel chunk unstaged `count` routes; `remaining` are still staged.
    event RoutesUnstaged(bytes32 indexed root, uint64 epoch, uint256 count, uint256 remaining);
    /// @dev The cancel completed: the pending root and all its staged routes are gone.
    event RootCancelled(bytes32 indexed root, uint64 epoch);
    /// @dev `count` dead entries (removed or disabled selectors) left the loupe's selector list.
    event SelectorsPruned(uint256 count);
    /// @dev An emergency disabled the live route of `selector` (which pointed at `facet`).
    event SelectorDisabled(bytes4 indexed selector, address facet);
    /// @dev The activation delay for future commits changed (an increase, at once).
    event ActivationDelaySet(uint64 previousDelay, uint64 newDelay);
    /// @dev A decrease of the activation delay was scheduled: commits from `effectSchedule` on use it.
    event ActivationDelayChangeScheduled(uint64 newDelay, uint64 effectSchedule);
    /// @dev A scheduled decrease that had not taken effect was replaced.
    event ActivationDelayChangeCanceled();
    /// @dev Routed calls were paused by `account`.
    event Paused(address account);
    /// @dev Routed calls were resumed by `account`.
    event Unpaused(address account);

    // ─────────────────────── lifecycle (router) ───────────────────────

    /// @notice Commit a manifest root as epoch `nextEpoch()`; ETA = now + activationDelay.
    /// @param leafCount Route leaves of the tree (the header leaf not counted).
    /// @param binding The tree's binding (facet list + initializer), see the interface header.
    /// @param headerProof Merkle proof of the header leaf `(0x00000000, 0, keccak256(abi.encode(leafCount, binding)))`.
    /// @dev Requirements: COMMIT_ROLE; no pending root; `epoch == nextEpoch()`; non-zero root;
    /// 0 < leafCount ≤ 16,777,215; the header proof holds. Emits {RootCommitted}.
    function commitRoot(bytes32 root, uint64 epoch, uint32 leafCount, bytes32 binding, bytes32[] calldata headerProof)
        external;

    /// @notice Prove and stage a batch of the pending manifest's leaves (not callable until activation).
    /// @param facets The manifest's whole facet list (distinct facets with their pinned code hashes), as bound
    /// at commit; only the entries the batch's leaves use are checked on chain.
    /// @param initHash The manifest's initializer hash (the other half of the binding).
    /// @param leaves Packed leaves, 5 bytes each: `bytes4 selector ‖ uint8 index into facets` (255 = a
    /// removal: facet and code hash zero), in the leaf order of the OpenZeppelin multiproof.
    /// @param proof Multiproof sibling hashes.
    /// @param proofFlags Multiproof flags as a bitmap: flag i is bit `i % 8` (LSB first) of byte `i / 8`;
    /// exactly `ceil((leafCount + proof.length - 1) / 8)` bytes.
    /// @dev Requirements: APPLY_ROLE; pending root not expired, no cancel in progress; batch within the
    /// size limit; `facets` and `initHash` match the commit's binding; each facet a leaf uses with code,
    /// ≤ 24,576 bytes and EXTCODEHASH equal to its pin; no protected or already-staged selector.
    /// Emits {RoutesApplied}.
    function applyRoutes(
        FacetPin[] calldata facets,
        bytes32 initHash,
        bytes calldata leaves,
        bytes32[] calldata proof,
        bytes calldata proofFlags
    ) external;

    /// @notice Make every staged route of the pending manifest live at once, then run its initializer.
    /// @param facets The manifest's facet list (bound at commit); each facet's EXTCODEHASH is re-verified.
    /// @param init The manifest's initializer (bound at commit), or all-zero with empty data for none; it is
    /// delegatecalled after the switch, and if it reverts nothing goes live.
    /// @dev Requirements: APPLY_ROLE; not paused; no cancel in progress; `eta ≤ now ≤ eta + expiryWindow`;
    /// every leaf applied; facets and initializer match the commit's binding; code hashes unchanged.
    /// Emits {RootActivated}.
    function activateCommittedRoot(FacetPin[] calldata facets, Initializer calldata init) external;
}

/// @title IManifestDispatcherAdmin
/// @notice The dispatcher functions served by its admin facet (routed at construction, epoch 0,
/// never re-routable, callable while paused). Roles are OpenZeppelin `AccessControlDefaultAdminRules`.
interface IManifestDispatcherAdmin {
    /// @notice Cancel the pending root in chunks: each call unstages up to `maxUnstage` of its staged routes
    /// (replaced routes are restored); the first call blocks commit, apply and activate until the last
    /// one, which discards the root. Any cancel thus fits a per-transaction gas limit.
    /// @param root The pending root being cancelled (a stale caller can't veto another proposal's root).
    /// @param epoch Its epoch.
    /// @dev Requirements: COMMIT_ROLE or EMERGENCY_ROLE; `root`/`epoch` pending (possibly expired). Emits
    /// {CancelStarted} on the first chunk, {RoutesUnstaged} on each, {RootCancelled} on the last.
    function cancelCommittedRoot(bytes32 root, uint64 epoch, uint32 maxUnstage) external;

    /// @notice Unlink dead entries (removed or disabled selectors) from the loupe's selector list.
    /// @param predecessors For each entry to prune, the selector before it in the list (0x00000000 for
    /// the head); an entry that is not dead (or a stale hint) is skipped.
    /// @dev Requirements: APPLY_ROLE. Emits {SelectorsPruned}.
    function pruneSelectors(bytes4[] calldata predecessors) external;

    /// @notice Disable a live selector at once (emergency; allowed while paused).
    /// @dev Requirements: EMERGENCY_ROLE; not a protected selector; the selector has a live route.
    /// Emits {SelectorDisabled}.
    function disableSelector(bytes4 selector) external;

    /// @notice Stop every routed call (the admin functions stay callable). Requirements: EMERGENCY_ROLE.
    function pause() external;

    /// @notice Resume routed calls. Requirements: DEFAULT_ADMIN_ROLE.
    function unpause() external;

    /// @notice Change the delay between a future commit and its ETA. An increase takes effect at once; a
    /// decrease from `old` to `new` takes effect `old − new` seconds from now (OpenZeppelin
    /// AccessControlDefaultAdminRules' formula), so nothing committed after the request goes live sooner
    /// than `old` after it. A new request replaces a scheduled one; pending ETAs never move.
    /// @dev Requirements: DEFAULT_ADMIN_ROLE; `minActivationDelay ≤ delay ≤ MAX_ACTIVATION_DELAY`.
    /// Emits {ActivationDelaySet} or {ActivationDelayChangeScheduled} (and {ActivationDelayChangeCanceled}).
    function setActivationDelay(uint64 delay) external;

    function activeRoot() external view returns (bytes32);
    function activeEpoch() external view returns (uint64);
    function pendingRoot() external view returns (bytes32);
    function pendingEpoch() external view returns (uint64);
    function pendingEta() external view returns (uint64);
    function pendingProgress() external view returns (uint32 applied, uint32 leafCount);
    /// @dev The delay a commit made now would get.
    function activationDelay() external view returns (uint64);
    /// @dev A scheduled decrease not yet in effect, or (0, 0).
    function pendingActivationDelay() external view returns (uint64 newDelay, uint64 effectSchedule);
    /// @dev The epoch the next commit must name.
    function nextEpoch() external view returns (uint64);
    /// @dev Whether a chunked cancel of the pending root is in progress.
    function cancelInProgress() external view returns (bool);
    /// @dev The pending manifest's binding (zero when nothing is pending).
    function pendingBinding() external view returns (bytes32);
    function minActivationDelay() external view returns (uint64);
    function expiryWindow() external view returns (uint64);
    function maxBatchSize() external view returns (uint32);
    function paused() external view returns (bool);
    function adminFacet() external view returns (address);
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IManifestDispatcher} from "./IManifestDispatcher.sol";
import {DispatcherAdminFacet} from "./DispatcherAdminFacet.sol";
import {DispatcherRoles} from "./libraries/DispatcherRoles.sol";
import {DispatcherStorage as S} from "./libraries/DispatcherStorage.sol";

/// @title ManifestDispatcher
/// @notice Diamond-style router whose routing table changes only through the time-locked manifest
/// lifecycle. Only the three hot lifecycle entry points live here; roles (OpenZeppelin
/// AccessControlDefaultAdminRules), the loupe, pause, emergency disable and cancel live in the
/// {DispatcherAdminFacet}, which this constructor deploys and routes at epoch 0 (protected, callable
/// while paused). Keeping the router's own dispatch table at three functions keeps a routed call within
/// ~250 gas of the two-SLOAD + cold-DELEGATECALL floor.
/// @dev Constructor arguments carry no network-specific value, so a CREATE2 deployment gives the same
/// address on every chain (the admin facet is CREATEd by the router at nonce 1: same address too).
contract ManifestDispatcher is IManifestDispatcher {
    using S for uint256;
    using S for S.Layout;

    /// @dev Flag of {_stageLeaves}' packed heads: the replaced-list head was loaded from storage.
    uint256 private constant REPLACED_LOADED = 1 << 64;

    address private immutable _adminFacet;
    uint64 private immutable _expiryWindow;
    uint32 private immutable _maxBatchSize;

    /// @param initialAdmin Holder of DEFAULT_ADMIN_ROLE (transferred two-step with `adminTransferDelay`).
    /// @param adminTransferDelay Delay of an admin transfer (OpenZeppelin AccessControlDefaultAdminRules).
    /// @param minActivationDelay Floor for {setActivationDelay}, fixed forever (≥ 1 s).
    /// @param activationDelay Initial commit → ETA delay.
    /// @param expiryWindow Seconds after ETA during which activation is allowed.
    /// @param maxBatchSize Upper bound of leaves per {applyRoutes} call (abuse limit; batches are packed by gas).
    constructor(
        address initialAdmin,
        uint48 adminTransferDelay,
        uint64 minActivationDelay,
        uint64 activationDelay,
        uint64 expiryWindow,
        uint32 maxBatchSize
    ) {
        if (
            minActivationDelay == 0 || activationDelay < minActivationDelay || activationDelay > S.MAX_ACTIVATION_DELAY
                || expiryWindow == 0
                || expiryWindow > S.MAX_ACTIVATION_DELAY || maxBatchSize == 0
        ) revert InvalidConfiguration();

        DispatcherAdminFacet admin = new DispatcherAdminFacet(minActivationDelay, expiryWindow, maxBatchSize);
        _adminFacet = address(admin);
        _expiryWindow = expiryWindow;
        _maxBatchSize = maxBatchSize;
        Address.functionDelegateCall(
            address(admin), abi.encodeCall(DispatcherAdminFacet.initialize, (initialAdmin, adminTransferDelay))
        );

        // Protected routes (epoch 0): the admin facet's functions and, for the loupe, the router's own.
        S.Layout storage $ = S.layout();
        bytes4[] memory adminSelectors = admin.routedSelectors();
        bytes4 head;
        for (uint256 i = 0; i < adminSelectors.length; ++i) {
            head = _registerProtected($, adminSelectors[i], address(admin), head);
        }
        head = _registerProtected($, IManifestDispatcher.commitRoot.selector, address(this), head);
        head = _registerProtected($, IManifestDispatcher.applyRoutes.selector, address(this), head);
        head = _registerProtected($, IManifestDispatcher.activateCommittedRoot.selector, address(this), head);

        $.state = S.invEpoch(0) | (uint256(uint32(head)) << S.NEXT_SHIFT) | activationDelay;
        // Pre-warm the root and binding slots so a commit rewrites a slot instead of creating one; the
        // views report bytes32(0) while no root is active/pending.
        $.roots[0] = bytes32(uint256(1));
        $.roots[1] = bytes32(uint256(1));
        $.binding = bytes32(uint256(1));
    }

    // ───────────────────────────── routing ─────────────────────────────

    /// @dev Look up the selector's route, check it against the gate in one comparison, then
    /// delegatecall the facet and bubble its return data or revert.
    fallback() external payable {
        // Literal constants keep the hot path free of stack shuffling; each is checked against the
        // library by a test (routes location, state location, gate mask, previous-mapping slot).
        assembly {
            let selector := shr(224, calldataload(0))
            // The two reads every routed call pays: its route word and the state word.
            let route := sload(add(0xcd18e9669ffb12659a319b54e06100a55b3bc61ebeb2731f2c85c480dddb5e00, selector))
            let gate :=
                and(
                    sload(0xc25b9de8b7fb11dca6241ec5c408824be67f87b63c4eb5f43bd56b5fd250af00),
                    0xffffffffffffffff000000000000000000000000000000000000000000000000
                )
            if lt(route, gate) {
                // Not live: a live route being replaced keeps its previous facet until activation.
                mstore(0, shl(224, selector))
                mstore(0x20, add(0xc25b9de8b7fb11dca6241ec5c408824be67f87b63c4eb5f43bd56b5fd250af00, 4))
                route := and(sload(keccak256(0, 0x40)), 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                if lt(route, gate) { route := 0 }
            }
            let facet := and(route, 0xffffffffffffffffffffffffffffffffffffffff)
            if iszero(facet) {
                mstore(0, shl(224, 0x5416eb98))
                mstore(4, shl(224, selector))
                revert(0, 0x24)
            }
            // Forward calldata, run the facet in this contract's storage, bubble the result.
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), facet, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if ok { return(0, returndatasize()) }
            revert(0, returndatasize())
        }
    }

    // ──────────────────────────── lifecycle ────────────────────────────

    /// @inheritdoc IManifestDispatcher
    function commitRoot(bytes32 root, uint64 epoch, uint32 leafCount, bytes32 binding, bytes32[] calldata headerProof)
        external
    {
        DispatcherRoles.checkRole(DispatcherRoles.COMMIT_ROLE);
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        if (state.leafCount() != 0) revert PendingRootExists($.pendingRootOf(state));
        uint64 expected = state.lastEpoch() + 1;
        if (epoch != expected) revert EpochMismatch(expected, epoch);
        if (root == bytes32(0) || leafCount == 0 || leafCount > S.MAX_LEAVES) revert InvalidCommitment(root, leafCount);
        // The tree commits to its own size and binding: a committer can't claim a subset of it.
        bytes32 header = _leafHash(bytes4(0), address(0), keccak256(abi.encode(uint256(leafCount), binding)));
        if (!MerkleProof.verifyCalldata(headerProof, root, header)) revert ManifestHeaderMismatch(root, leafCount);
        // The gap field counts commits since the last activation; 2^32 of them would be needed to wrap.
        if (state & S.GAP_FIELD == S.GAP_FIELD) revert EpochMismatch(expected, epoch);

        state = $.settleDelay(state);
        $.roots[state.pendingSlot()] = root;
        $.binding = binding;
        uint64 eta = uint64(block.timestamp) + state.delay();
        $.state = ((state & S.KEEP_ON_RESET) + (1 << S.GAP_SHIFT)) | (uint256(leafCount) << S.LEAFCOUNT_SHIFT)
            | (uint256(eta) << S.ETA_SHIFT);
        emit RootCommitted(root, epoch, eta, leafCount);
    }

    /// @inheritdoc IManifestDispatcher
    function applyRoutes(
        FacetPin[] calldata facets,
        bytes32 initHash,
        bytes calldata leaves,
        bytes32[] calldata proof,
        bytes calldata proofFlags
    ) external {
        DispatcherRoles.checkRole(DispatcherRoles.APPLY_ROLE);
        (uint256 state, bytes32 root, uint256 count) = _openBatch(leaves.length, facets.length);
        if (count != 0) {
            _checkBinding(facets, initHash);
            bytes32[] memory hashes = _stageBatch(state, facets, leaves, count);
            if (!MerkleProof.multiProofVerify(proof, _unpackFlags(proofFlags, count + proof.length - 1), root, hashes)) {
                revert InvalidProof();
            }
        }
        emit RoutesApplied(root, count);
    }

    /// @inheritdoc IManifestDispatcher
    function activateCommittedRoot(FacetPin[] calldata facets, Initializer calldata init) external {
        DispatcherRoles.checkRole(DispatcherRoles.APPLY_ROLE);
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        uint32 leafCount = state.leafCount();
        if (leafCount == 0) revert NoPendingRoot();
        if (state & S.CANCELLING != 0) revert CancelInProgress($.pendingRootOf(state));
        uint64 eta = state.eta();
        if (block.timestamp < eta) revert ActivationNotReady(eta, uint64(block.timestamp));
        // Expiry before pause: a root that expired while paused is reported as expired, never as held.
        _checkNotExpired(state);
        if (state.isPaused()) revert ActivationPaused();
        if (state.applied() != leafCount) revert ManifestIncomplete(state.applied(), leafCount);
        bytes32 initHash = keccak256(abi.encode(init.facet, init.codehash, keccak256(init.data)));
        bytes32 binding = keccak256(abi.encode(keccak256(abi.encode(facets)), initHash));
        if (binding != $.binding) revert ManifestBindingMismatch($.binding, binding);
        _verifyFacets(facets);
        if (init.facet != address(0)) _checkInitializer(init.facet, init.codehash);
        else if (init.codehash != bytes32(0) || init.data.length != 0) revert InvalidFacet(address(0));

        uint64 epoch = state.lastEpoch();
        // The gate moves to the new epoch: every route staged for it is live from this block on; the
        // pending root's slot becomes the active one.
        $.state = (state & (S.PAUSED | S.HEAD_FIELD | S.DELAY_SCHEDULED | S.DELAY_MASK))
            | ((state & S.ROOT_SLOT) ^ S.ROOT_SLOT) | S.invEpoch(epoch);
        emit RootActivated($.pendingRootOf(state), epoch);
        if (init.facet != address(0)) _runInitializer(init.facet, init.data);
    }

    // ───────────────────────────── helpers ─────────────────────────────

    /// @dev Reverts with {RootExpired} once `eta + expiryWindow` has passed.
    function _checkNotExpired(uint256 state) private view {
        uint64 deadline = state.eta() + _expiryWindow;
        if (block.timestamp > deadline) revert RootExpired(deadline, uint64(block.timestamp));
    }

    /// @dev Validates the batch envelope against the pending manifest; returns state, root and leaf count.
    function _openBatch(uint256 leavesLength, uint256 facetsLength)
        private
        view
        returns (uint256 state, bytes32 root, uint256 count)
    {
        S.Layout storage $ = S.layout();
        state = $.state;
        uint32 leafCount = state.leafCount();
        if (leafCount == 0) revert NoPendingRoot();
        root = $.pendingRootOf(state);
        if (state & S.CANCELLING != 0) revert CancelInProgress(root);
        _checkNotExpired(state);
        count = leavesLength / 5;
        if (leavesLength != count * 5 || facetsLength > S.MAX_FACETS) revert MalformedBatch();
        if (count > _maxBatchSize) revert BatchTooLarge(count, _maxBatchSize);
        uint256 appliedAfter = uint256(state.applied()) + count;
        if (appliedAfter > leafCount) revert LeafCountExceeded(appliedAfter, leafCount);
    }

    /// @dev The batch's facet table must be the manifest's whole facet list, as the commit bound it (with the
    /// initializer hash): every facet a leaf can reference is then one activation re-verifies.
    function _checkBinding(FacetPin[] calldata facets, bytes32 initHash) private view {
        bytes32 binding = keccak256(abi.encode(keccak256(abi.encode(facets)), initHash));
        bytes32 expected = S.layout().binding;
        if (binding != expected) revert ManifestBindingMismatch(expected, binding);
    }

    /// @dev Stages the batch, checks the facets its leaves use, records the progress; returns the leaf hashes.
    function _stageBatch(uint256 state, FacetPin[] calldata facets, bytes calldata leaves, uint256 count)
        private
        returns (bytes32[] memory hashes)
    {
        uint256 used;
        (state, hashes, used) = _stageLeaves(state, facets, leaves, count);
        _checkFacets(facets, used);
        // applied + count <= leafCount was checked, so the field can't overflow into leafCount.
        S.layout().state = state + (count << S.APPLIED_SHIFT);
    }

    /// @dev Checks each facet the batch's leaves use (bit i of `used` = entry i): code present, ≤ EIP-170,
    /// not the dispatcher or an EIP-7702 delegated account, EXTCODEHASH equal to its pin. Nothing is
    /// stored: activation re-verifies the manifest's whole facet list, which the commit bound.
    function _checkFacets(FacetPin[] calldata facets, uint256 used) private view {
        for (uint256 i = 0; used != 0; ++i) {
            if (used & 1 == 0) {
                used >>= 1;
                continue;
            }
            used >>= 1;
            address facet = facets[i].facet;
            _checkFacetCode(facet);
            bytes32 actual = facet.codehash;
            if (actual != facets[i].codehash) revert CodehashMismatch(facet, facets[i].codehash, actual);
        }
    }

    /// @dev Reverts unless `facet` may serve routes: not the dispatcher itself, code of 1..24,576 bytes,
    /// not an EIP-7702 delegation designator (whose code its owner can swap at will).
    function _checkFacetCode(address facet) private view {
        if (facet == address(this) || facet == _adminFacet) revert InvalidFacet(facet);
        uint256 size = facet.code.length;
        if (size == 0) revert FacetHasNoCode(facet);
        if (size > S.MAX_FACET_CODE_SIZE) revert FacetTooLarge(facet, size);
        if (size == 23 && _isDelegationDesignator(facet)) revert InvalidFacet(facet);
    }

    /// @dev The initializer must have the code the manifest pinned.
    function _checkInitializer(address facet, bytes32 codehash) private view {
        _checkFacetCode(facet);
        bytes32 actual = facet.codehash;
        if (actual != codehash) revert CodehashMismatch(facet, codehash, actual);
    }

    /// @dev Delegatecalls the initializer; its revert (or {InitializerFailed}) undoes the activation.
    function _runInitializer(address facet, bytes calldata data) private {
        (bool ok, bytes memory returned) = facet.delegatecall(data);
        if (ok) return;
        if (returned.length == 0) revert InitializerFailed(facet);
        assembly ("memory-safe") {
            revert(add(returned, 0x20), mload(returned))
        }
    }

    /// @dev Whether the account's code is an EIP-7702 delegation designator (0xef0100 ‖ address).
    function _isDelegationDesignator(address account) private view returns (bool designator) {
        assembly ("memory-safe") {
            extcodecopy(account, 0, 0, 3)
            designator := eq(shr(232, mload(0)), 0xef0100)
        }
    }

    /// @dev Stages each leaf's route for the pending epoch and returns the leaf hashes for the multiproof.
    /// New selectors are prepended to the selector list; replaced ones save their live route in
    /// `previous` (threaded into the manifest's replaced list, which cancel walks).
    function _stageLeaves(uint256 state, FacetPin[] calldata facets, bytes calldata leaves, uint256 count)
        private
        returns (uint256, bytes32[] memory hashes, uint256 used)
    {
        hashes = new bytes32[](count);
        uint64 epoch = state.lastEpoch();
        uint256 stagedField = S.invEpoch(epoch);
        // Both list heads in one word: [64] replaced head loaded, [63..32] replaced head, [31..0] list head.
        uint256 heads = uint32(state >> S.NEXT_SHIFT);
        for (uint256 k = 0; k < count; ++k) {
            (bytes4 selector, address facet, uint256 bit) = _decodeLeaf(facets, leaves, k, hashes);
            used |= bit;
            heads = _stageRoute(selector, facet, stagedField, heads, epoch);
        }
        if (heads & REPLACED_LOADED != 0) {
            S.layout().replaced = (uint256(epoch) << 96) | (((heads >> 32) & type(uint32).max) << 64);
        }
        return ((state & ~S.HEAD_FIELD) | ((heads & type(uint32).max) << S.NEXT_SHIFT), hashes, used);
    }

    /// @dev Leaf k of the packed batch: its selector, its facet and the bit of its facet-table entry (0 for
    /// a removal, index 255: facet and code hash zero); its Merkle leaf hash goes to `hashes[k]`.
    function _decodeLeaf(FacetPin[] calldata facets, bytes calldata leaves, uint256 k, bytes32[] memory hashes)
        private
        pure
        returns (bytes4 selector, address facet, uint256 bit)
    {
        uint256 index;
        assembly ("memory-safe") {
            let word := calldataload(add(leaves.offset, mul(k, 5)))
            selector := and(word, not(shr(32, not(0))))
            index := byte(4, word)
        }
        if (index == S.REMOVAL_INDEX) {
            hashes[k] = _leafHash(selector, address(0), bytes32(0));
            return (selector, address(0), 0);
        }
        if (index >= facets.length) revert MalformedBatch();
        facet = facets[index].facet;
        hashes[k] = _leafHash(selector, facet, facets[index].codehash);
        bit = 1 << index;
    }

    /// @dev Writes one staged route; returns the updated list heads (see {_stageLeaves}).
    function _stageRoute(bytes4 selector, address facet, uint256 stagedField, uint256 heads, uint64 epoch)
        private
        returns (uint256)
    {
        S.Layout storage $ = S.layout();
        uint256 r = S.routeOf(selector);
        if (r & S.PROTECTED != 0 || selector == bytes4(0)) revert ProtectedSelector(selector);
        if (r & S.GATE_MASK == stagedField) revert DuplicateSelector(selector);
        if (r == 0) {
            S.setRoute(selector, stagedField | ((heads & type(uint32).max) << S.NEXT_SHIFT) | uint160(facet));
            return (heads & ~uint256(type(uint32).max)) | uint32(selector);
        }
        if (heads & REPLACED_LOADED == 0) heads |= REPLACED_LOADED | (_loadReplacedHead($, epoch) << 32);
        uint256 replacedHead = (heads >> 32) & type(uint32).max;
        $.previous[selector] = S.REPLACED_MARKER | (r & ~S.NEXT_FIELD) | (replacedHead << S.NEXT_SHIFT);
        S.setRoute(selector, stagedField | (r & S.NEXT_FIELD) | uint160(facet));
        return (heads & ~(uint256(type(uint32).max) << 32)) | (uint256(uint32(selector)) << 32);
    }

    /// @dev Head of the pending manifest's replaced list (0 if the stored list belongs to another epoch).
    function _loadReplacedHead(S.Layout storage $, uint64 epoch) private view returns (uint256) {
        uint256 replaced = $.replaced;
        return uint64(replaced >> 96) == epoch ? uint32(replaced >> 64) : 0;
    }

    /// @dev OpenZeppelin StandardMerkleTree leaf of (bytes4 selector, address facet, bytes32 codehash).
    function _leafHash(bytes4 selector, address facet, bytes32 codehash) private pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x20), facet)
            mstore(add(ptr, 0x40), codehash)
            mstore(ptr, keccak256(ptr, 0x60))
            leaf := keccak256(ptr, 0x20)
        }
    }

    /// @dev Expands the proof-flag bitmap (bit i%8 of byte i/8) into OpenZeppelin's bool[].
    function _unpackFlags(bytes calldata bitmap, uint256 total) private pure returns (bool[] memory flags) {
        if (bitmap.length != (total + 7) / 8) revert MalformedBatch();
        flags = new bool[](total);
        // The length was checked, so every byte read lies inside `bitmap`; each word is 0 or 1.
        assembly ("memory-safe") {
            let out := add(flags, 0x20)
            for { let i := 0 } lt(i, total) { i := add(i, 1) } {
                let bits := byte(0, calldataload(add(bitmap.offset, shr(3, i))))
                mstore(add(out, shl(5, i)), and(shr(and(i, 7), bits), 1))
            }
        }
    }

    /// @dev Re-checks the manifest's facet list; reverts {CodehashMismatch} on change.
    function _verifyFacets(FacetPin[] calldata facets) private view {
        for (uint256 i = 0; i < facets.length; ++i) {
            address facet = facets[i].facet;
            bytes32 actual = facet.codehash;
            if (actual != facets[i].codehash) revert CodehashMismatch(facet, facets[i].codehash, actual);
        }
    }

    /// @dev Writes a protected (epoch 0) route and returns the new list head.
    function _registerProtected(S.Layout storage $, bytes4 selector, address facet, bytes4 head)
        private
        returns (bytes4)
    {
        if (S.routeOf(selector) != 0 || selector == bytes4(0)) revert DuplicateSelector(selector);
        S.setRoute(selector, S.PROTECTED | S.invEpoch(0) | (uint256(uint32(head)) << S.NEXT_SHIFT) | uint160(facet));
        return selector;
    }
}

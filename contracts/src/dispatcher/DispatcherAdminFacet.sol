// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {IManifestDispatcher, IManifestDispatcherAdmin} from "./IManifestDispatcher.sol";
import {IDiamondLoupe} from "./interfaces/IDiamondLoupe.sol";
import {DispatcherRoles as R} from "./libraries/DispatcherRoles.sol";
import {DispatcherStorage as S} from "./libraries/DispatcherStorage.sol";

/// @title DispatcherAdminFacet
/// @notice The ManifestDispatcher's cold-path functions: roles (OpenZeppelin AccessControlDefaultAdminRules,
/// two-step delayed admin transfer), Diamond Loupe, ERC-165, pause, emergency disable, cancel, the
/// activation delay and read-only views. Deployed by the router's constructor and only ever executed by
/// DELEGATECALL from it, in the router's storage (ERC-7201 namespaces only).
contract DispatcherAdminFacet is AccessControlDefaultAdminRulesUpgradeable, IManifestDispatcherAdmin, IDiamondLoupe {
    using S for uint256;
    using S for S.Layout;

    bytes32 public constant COMMIT_ROLE = R.COMMIT_ROLE;
    bytes32 public constant APPLY_ROLE = R.APPLY_ROLE;
    bytes32 public constant EMERGENCY_ROLE = R.EMERGENCY_ROLE;
    /// @notice Upper bound of {setActivationDelay}.
    uint64 public constant MAX_ACTIVATION_DELAY = S.MAX_ACTIVATION_DELAY;

    address private immutable _self;
    uint64 private immutable _minActivationDelay;
    uint64 private immutable _expiryWindow;
    uint32 private immutable _maxBatchSize;

    constructor(uint64 minActivationDelay_, uint64 expiryWindow_, uint32 maxBatchSize_) {
        _self = address(this);
        _minActivationDelay = minActivationDelay_;
        _expiryWindow = expiryWindow_;
        _maxBatchSize = maxBatchSize_;
        _disableInitializers();
    }

    /// @notice Sets up roles in the router's storage; called once by the router's constructor (DELEGATECALL).
    function initialize(address initialAdmin, uint48 adminTransferDelay) external initializer {
        __AccessControlDefaultAdminRules_init(adminTransferDelay, initialAdmin);
    }

    /// @notice The selectors the router routes to this facet at construction (all but {initialize} and this).
    function routedSelectors() external pure returns (bytes4[] memory s) {
        s = new bytes4[](50);
        // IManifestDispatcherAdmin
        s[0] = this.cancelCommittedRoot.selector;
        s[1] = this.disableSelector.selector;
        s[2] = this.pause.selector;
        s[3] = this.unpause.selector;
        s[4] = this.setActivationDelay.selector;
        s[5] = this.activeRoot.selector;
        s[6] = this.activeEpoch.selector;
        s[7] = this.pendingRoot.selector;
        s[8] = this.pendingEpoch.selector;
        s[9] = this.pendingEta.selector;
        s[10] = this.pendingProgress.selector;
        s[11] = this.activationDelay.selector;
        s[12] = this.minActivationDelay.selector;
        s[13] = this.expiryWindow.selector;
        s[14] = this.maxBatchSize.selector;
        s[15] = this.paused.selector;
        s[16] = this.adminFacet.selector;
        s[17] = this.pruneSelectors.selector;
        // IDiamondLoupe + ERC-165
        s[18] = this.facets.selector;
        s[19] = this.facetFunctionSelectors.selector;
        s[20] = this.facetAddresses.selector;
        s[21] = this.facetAddress.selector;
        s[22] = this.supportsInterface.selector;
        // AccessControl + AccessControlDefaultAdminRules
        s[23] = this.hasRole.selector;
        s[24] = this.getRoleAdmin.selector;
        s[25] = this.grantRole.selector;
        s[26] = this.revokeRole.selector;
        s[27] = this.renounceRole.selector;
        s[28] = this.owner.selector;
        s[29] = this.defaultAdmin.selector;
        s[30] = this.pendingDefaultAdmin.selector;
        s[31] = this.defaultAdminDelay.selector;
        s[32] = this.pendingDefaultAdminDelay.selector;
        s[33] = this.defaultAdminDelayIncreaseWait.selector;
        s[34] = this.beginDefaultAdminTransfer.selector;
        s[35] = this.cancelDefaultAdminTransfer.selector;
        s[36] = this.acceptDefaultAdminTransfer.selector;
        s[37] = this.changeDefaultAdminDelay.selector;
        s[38] = this.rollbackDefaultAdminDelay.selector;
        // constants
        s[39] = this.DEFAULT_ADMIN_ROLE.selector;
        s[40] = this.COMMIT_ROLE.selector;
        s[41] = this.APPLY_ROLE.selector;
        s[42] = this.EMERGENCY_ROLE.selector;
        s[43] = this.MAX_ACTIVATION_DELAY.selector;
        // v2 views
        s[44] = this.pendingActivationDelay.selector;
        s[45] = this.nextEpoch.selector;
        s[46] = this.cancelInProgress.selector;
        s[47] = this.pendingBinding.selector;
        s[48] = this.pendingManifest.selector;
        s[49] = this.listedSelectors.selector;
    }

    // ───────────────────────────── lifecycle ─────────────────────────────

    /// @inheritdoc IManifestDispatcherAdmin
    function cancelCommittedRoot(bytes32 root, uint64 epoch, uint32 maxUnstage) external {
        R.checkEitherRole(R.COMMIT_ROLE, R.EMERGENCY_ROLE);
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        if (state.leafCount() == 0) revert IManifestDispatcher.NoPendingRoot();
        uint64 pending = state.lastEpoch();
        bytes32 target = $.pendingRootOf(state);
        if (root != target || epoch != pending) revert IManifestDispatcher.CancelTargetMismatch(target, pending);
        if (state & S.CANCELLING == 0) {
            state |= S.CANCELLING;
            emit IManifestDispatcher.CancelStarted(root, epoch);
        }

        (uint256 unstaged, bool replacedDone) = _restoreReplaced($, epoch, maxUnstage);
        bool done = replacedDone;
        if (replacedDone) {
            bytes4 head;
            uint256 dropped;
            (head, dropped, done) = _dropNewRoutes(state.listHead(), S.invEpoch(epoch), maxUnstage - unstaged);
            unstaged += dropped;
            state = (state & ~S.HEAD_FIELD) | (uint256(uint32(head)) << S.NEXT_SHIFT);
        }
        uint256 remaining = state.applied() - unstaged;
        if (unstaged != 0 || done) emit IManifestDispatcher.RoutesUnstaged(root, epoch, unstaged, remaining);
        if (done) {
            $.state = state & S.KEEP_ON_RESET;
            emit IManifestDispatcher.RootCancelled(root, epoch);
        } else {
            $.state = (state & ~(S.COUNT_MASK << S.APPLIED_SHIFT)) | (remaining << S.APPLIED_SHIFT);
        }
    }

    /// @dev Restores up to `budget` routes the pending manifest replaced (from `previous`), front of its
    /// replaced list first; returns how many, and whether the list is now empty.
    function _restoreReplaced(S.Layout storage $, uint64 epoch, uint256 budget)
        private
        returns (uint256 restored, bool done)
    {
        uint256 replaced = $.replaced;
        if (uint64(replaced >> 96) != epoch) {
            if (replaced != 0) $.replaced = 0; // a list left by an earlier epoch
            return (0, true);
        }
        bytes4 selector = bytes4(uint32(replaced >> 64));
        while (selector != bytes4(0) && restored < budget) {
            uint256 p = $.previous[selector];
            S.setRoute(selector, (p & ~(S.REPLACED_MARKER | S.NEXT_FIELD)) | (S.routeOf(selector) & S.NEXT_FIELD));
            delete $.previous[selector];
            selector = S.nextOf(p);
            ++restored;
        }
        done = selector == bytes4(0);
        $.replaced = done ? 0 : (uint256(epoch) << 96) | (uint256(uint32(selector)) << 64);
    }

    /// @dev Drops up to `budget` routes the pending manifest added (they form the front of the selector
    /// list); returns the new list head, how many, and whether none is left.
    function _dropNewRoutes(bytes4 head, uint256 stagedField, uint256 budget)
        private
        returns (bytes4, uint256 dropped, bool done)
    {
        while (head != bytes4(0)) {
            uint256 r = S.routeOf(head);
            if (r & S.GATE_MASK != stagedField) break;
            if (dropped == budget) return (head, dropped, false);
            S.setRoute(head, 0);
            head = S.nextOf(r);
            ++dropped;
        }
        return (head, dropped, true);
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function pruneSelectors(bytes4[] calldata predecessors) external onlyRole(R.APPLY_ROLE) {
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        uint256 gate = state.liveGate();
        uint256 pruned;
        for (uint256 i = 0; i < predecessors.length; ++i) {
            bytes4 before = predecessors[i];
            uint256 rb = before == bytes4(0) ? 0 : S.routeOf(before);
            bytes4 target = before == bytes4(0) ? state.listHead() : S.nextOf(rb);
            if (target == bytes4(0)) continue;
            uint256 r = S.routeOf(target);
            if (!_isDead(r, gate)) continue;
            if (before == bytes4(0)) state = (state & ~S.HEAD_FIELD) | (r & S.NEXT_FIELD);
            else S.setRoute(before, (rb & ~S.NEXT_FIELD) | (r & S.NEXT_FIELD));
            S.setRoute(target, 0);
            // A stale replacement record must not revive the selector once it is staged again.
            if ($.previous[target] != 0) delete $.previous[target];
            ++pruned;
        }
        $.state = state;
        emit IManifestDispatcher.SelectorsPruned(pruned);
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function disableSelector(bytes4 selector) external onlyRole(R.EMERGENCY_ROLE) {
        S.Layout storage $ = S.layout();
        uint256 r = S.routeOf(selector);
        if (r & S.PROTECTED != 0 || selector == bytes4(0)) revert IManifestDispatcher.ProtectedSelector(selector);
        uint256 state = $.state;
        uint256 gate = state.liveGate();

        if (r >= gate) {
            address facet = S.facetOf(r);
            if (facet == address(0)) revert IManifestDispatcher.FunctionNotFound(selector);
            S.setRoute(selector, S.DISABLED | (r & S.NEXT_FIELD));
            // A stale record of an earlier replacement must not revive the selector via the fallback.
            if ($.previous[selector] != 0) delete $.previous[selector];
            emit IManifestDispatcher.SelectorDisabled(selector, facet);
            return;
        }

        // Live only through `previous` (a replacement is pending): disable that live route; the staged
        // route still goes live at activation, and cancel restores the selector as disabled.
        uint256 p = $.previous[selector];
        uint256 live = p & ~S.REPLACED_MARKER;
        if (
            state.leafCount() != 0 && r & S.GATE_MASK == S.invEpoch(state.lastEpoch()) && p & S.REPLACED_MARKER != 0
                && live >= gate && S.facetOf(live) != address(0)
        ) {
            $.previous[selector] = S.REPLACED_MARKER | S.DISABLED | (p & S.NEXT_FIELD);
            emit IManifestDispatcher.SelectorDisabled(selector, S.facetOf(live));
            return;
        }
        revert IManifestDispatcher.FunctionNotFound(selector);
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function pause() external onlyRole(R.EMERGENCY_ROLE) {
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        if (state.isPaused()) revert IManifestDispatcher.PauseStateUnchanged(true);
        $.state = state | S.PAUSED;
        emit IManifestDispatcher.Paused(msg.sender);
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function unpause() external onlyRole(R.DEFAULT_ADMIN_ROLE) {
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        if (!state.isPaused()) revert IManifestDispatcher.PauseStateUnchanged(false);
        $.state = state & ~S.PAUSED;
        emit IManifestDispatcher.Unpaused(msg.sender);
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function setActivationDelay(uint64 newDelay) external onlyRole(R.DEFAULT_ADMIN_ROLE) {
        if (newDelay < _minActivationDelay || newDelay > S.MAX_ACTIVATION_DELAY) {
            revert IManifestDispatcher.ActivationDelayOutOfRange(newDelay, _minActivationDelay, S.MAX_ACTIVATION_DELAY);
        }
        S.Layout storage $ = S.layout();
        uint256 state = $.settleDelay($.state);
        uint64 current = state.delay();
        if (state & S.DELAY_SCHEDULED != 0) {
            state &= ~S.DELAY_SCHEDULED; // a new request replaces the scheduled one
            emit IManifestDispatcher.ActivationDelayChangeCanceled();
        }
        if (newDelay >= current) {
            $.state = (state & ~S.DELAY_MASK) | newDelay;
            emit IManifestDispatcher.ActivationDelaySet(current, newDelay);
            return;
        }
        // A decrease waits out the difference: a commit after it still goes live no sooner than `current`.
        uint64 effect = uint64(block.timestamp) + (current - newDelay);
        $.delayChange = (uint256(effect) << 64) | newDelay;
        $.state = state | S.DELAY_SCHEDULED;
        emit IManifestDispatcher.ActivationDelayChangeScheduled(newDelay, effect);
    }

    // ─────────────────────────────── views ───────────────────────────────

    /// @inheritdoc IManifestDispatcherAdmin
    function activeRoot() external view returns (bytes32) {
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        return state.activeEpoch() == 0 ? bytes32(0) : $.roots[state.activeSlot()];
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function activeEpoch() external view returns (uint64) {
        return S.layout().state.activeEpoch();
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function pendingRoot() external view returns (bytes32) {
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        return state.leafCount() == 0 ? bytes32(0) : $.pendingRootOf(state);
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function pendingEpoch() external view returns (uint64) {
        uint256 state = S.layout().state;
        return state.leafCount() == 0 ? 0 : state.lastEpoch();
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function pendingEta() external view returns (uint64) {
        return S.layout().state.eta();
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function pendingProgress() external view returns (uint32 applied, uint32 leafCount) {
        uint256 state = S.layout().state;
        return (state.applied(), state.leafCount());
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function activationDelay() external view returns (uint64) {
        S.Layout storage $ = S.layout();
        return $.settleDelay($.state).delay();
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function pendingActivationDelay() external view returns (uint64 newDelay, uint64 effectSchedule) {
        S.Layout storage $ = S.layout();
        uint256 state = $.settleDelay($.state);
        if (state & S.DELAY_SCHEDULED == 0) return (0, 0);
        uint256 change = $.delayChange;
        return (uint64(change & S.DELAY_MASK), uint64(change >> 64));
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function nextEpoch() external view returns (uint64) {
        return S.layout().state.lastEpoch() + 1;
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function cancelInProgress() external view returns (bool) {
        return S.layout().state & S.CANCELLING != 0;
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function pendingBinding() external view returns (bytes32) {
        S.Layout storage $ = S.layout();
        return $.state.leafCount() == 0 ? bytes32(0) : $.binding;
    }

    /// @notice Everything about the pending manifest in one call (all zero when nothing is pending).
    function pendingManifest()
        external
        view
        returns (
            bytes32 root,
            uint64 epoch,
            uint64 eta,
            uint32 applied,
            uint32 leafCount,
            bytes32 binding,
            bool cancelling
        )
    {
        S.Layout storage $ = S.layout();
        uint256 state = $.state;
        if (state.leafCount() == 0) return (0, 0, 0, 0, 0, 0, false);
        return (
            $.pendingRootOf(state),
            state.lastEpoch(),
            state.eta(),
            state.applied(),
            state.leafCount(),
            $.binding,
            state & S.CANCELLING != 0
        );
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function minActivationDelay() external view returns (uint64) {
        return _minActivationDelay;
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function expiryWindow() external view returns (uint64) {
        return _expiryWindow;
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function maxBatchSize() external view returns (uint32) {
        return _maxBatchSize;
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function paused() external view returns (bool) {
        return S.layout().state.isPaused();
    }

    /// @inheritdoc IManifestDispatcherAdmin
    function adminFacet() external view returns (address) {
        return _self;
    }

    /// @notice A page of the loupe's raw selector list (live, staged and dead entries), from `cursor`
    /// (0x00000000 = the head); `dead[i]` says {pruneSelectors} would unlink `selectors[i]`; `next` is
    /// the cursor of the following page (0 at the end).
    function listedSelectors(bytes4 cursor, uint256 limit)
        external
        view
        returns (bytes4[] memory selectors, bool[] memory dead, bytes4 next)
    {
        S.Layout storage $ = S.layout();
        uint256 gate = $.state.liveGate();
        next = cursor == bytes4(0) ? $.state.listHead() : cursor;
        if (S.routeOf(next) == 0) next = bytes4(0); // not in the list: an empty page
        selectors = new bytes4[](limit);
        dead = new bool[](limit);
        uint256 n;
        while (next != bytes4(0) && n < limit) {
            uint256 r = S.routeOf(next);
            selectors[n] = next;
            dead[n++] = _isDead(r, gate);
            next = S.nextOf(r);
        }
        assembly ("memory-safe") {
            mstore(selectors, n)
            mstore(dead, n)
        }
    }

    /// @dev A list entry serving nothing and staged for nothing: a live removal or a disabled selector.
    function _isDead(uint256 r, uint256 gate) private pure returns (bool) {
        if (S.facetOf(r) != address(0) || r & S.PROTECTED != 0) return false;
        return r >= gate || r & S.GATE_MASK == S.DISABLED;
    }

    // ──────────────────────────── Diamond Loupe ────────────────────────────

    /// @inheritdoc IDiamondLoupe
    function facetAddress(bytes4 selector) public view returns (address) {
        S.Layout storage $ = S.layout();
        return S.liveFacet($, selector, $.state.liveGate());
    }

    /// @inheritdoc IDiamondLoupe
    function facetAddresses() external view returns (address[] memory addresses) {
        (addresses,) = _liveFacetTable();
    }

    /// @inheritdoc IDiamondLoupe
    function facetFunctionSelectors(address facet) external view returns (bytes4[] memory selectors) {
        S.Layout storage $ = S.layout();
        uint256 gate = $.state.liveGate();
        uint256 n;
        for (bytes4 s = $.state.listHead(); s != bytes4(0); s = S.nextOf(S.routeOf(s))) {
            if (facet != address(0) && S.liveFacet($, s, gate) == facet) ++n;
        }
        selectors = new bytes4[](n);
        n = 0;
        for (bytes4 s = $.state.listHead(); s != bytes4(0); s = S.nextOf(S.routeOf(s))) {
            if (facet != address(0) && S.liveFacet($, s, gate) == facet) selectors[n++] = s;
        }
    }

    /// @inheritdoc IDiamondLoupe
    function facets() external view returns (IManifestDispatcher.Facet[] memory result) {
        (address[] memory addresses, uint256[] memory counts) = _liveFacetTable();
        result = new IManifestDispatcher.Facet[](addresses.length);
        for (uint256 i = 0; i < addresses.length; ++i) {
            result[i].facetAddress = addresses[i];
            result[i].functionSelectors = new bytes4[](counts[i]);
            counts[i] = 0;
        }
        S.Layout storage $ = S.layout();
        uint256 gate = $.state.liveGate();
        for (bytes4 s = $.state.listHead(); s != bytes4(0); s = S.nextOf(S.routeOf(s))) {
            address facet = S.liveFacet($, s, gate);
            if (facet == address(0)) continue;
            uint256 i = _indexOf(addresses, addresses.length, facet);
            result[i].functionSelectors[counts[i]++] = s;
        }
    }

    /// @notice ERC-165: the dispatcher's own interfaces, and any one-function interface whose ID is a live
    /// routed selector (so support appears exactly when the route goes live).
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IDiamondLoupe).interfaceId || interfaceId == type(IManifestDispatcher).interfaceId
            || interfaceId == type(IManifestDispatcherAdmin).interfaceId || super.supportsInterface(interfaceId)
            || (interfaceId != 0xffffffff && facetAddress(interfaceId) != address(0));
    }

    /// @dev Distinct live facets in list order, with their live selector counts.
    function _liveFacetTable() private view returns (address[] memory addresses, uint256[] memory counts) {
        S.Layout storage $ = S.layout();
        uint256 gate = $.state.liveGate();
        uint256 listLength;
        for (bytes4 s = $.state.listHead(); s != bytes4(0); s = S.nextOf(S.routeOf(s))) ++listLength;

        addresses = new address[](listLength);
        counts = new uint256[](listLength);
        uint256 distinct;
        for (bytes4 s = $.state.listHead(); s != bytes4(0); s = S.nextOf(S.routeOf(s))) {
            address facet = S.liveFacet($, s, gate);
            if (facet == address(0)) continue;
            uint256 i = _indexOf(addresses, distinct, facet);
            if (i == distinct) addresses[distinct++] = facet;
            ++counts[i];
        }
        assembly ("memory-safe") {
            mstore(addresses, distinct)
            mstore(counts, distinct)
        }
    }

    /// @dev Index of `facet` among the first `length` entries, or `length` when absent.
    function _indexOf(address[] memory addresses, uint256 length, address facet) private pure returns (uint256 i) {
        while (i < length && addresses[i] != facet) ++i;
    }
}

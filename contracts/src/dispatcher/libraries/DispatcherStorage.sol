// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title DispatcherStorage
/// @notice The ManifestDispatcher's state, shared by the router and its admin facet (both run in the
/// router's storage context). Word layouts are chosen so a routed call reads two slots and decides with
/// one comparison; see DESIGN.md "Gas floor reasoning".
///
/// state word (one slot, read by every routed call):
///   [255]      paused
///   [254..192] ~activeEpoch (63 bits)          ← bits 255..192 are the "gate"
///   [191..160] head of the selector list (bytes4, 0 = end)
///   [159..136] pending leafCount (24 bits; 0 = no pending root)
///   [135..112] pending applied count (24 bits): routes staged by the pending manifest
///   [111..72]  pending ETA (uint40 seconds)
///   [71..40]   epoch gap: last committed epoch − activeEpoch (every commit takes a new epoch, so a
///              cancelled or expired commitment is never committable again)
///   [39]       a chunked cancel of the pending root is in progress (blocks commit, apply, activate)
///   [38]       a decrease of the activation delay is scheduled (see `delayChange`)
///   [37]       index into `roots` of the active root (the pending root uses the other one)
///   [31..0]    activation delay for future commits (seconds)
///
/// route word (one slot per selector):
///   [255]      protected (dispatcher's own selectors, epoch 0)
///   [254..192] ~stagedEpoch (63 bits); 1 = disabled, 0 = unknown selector
///   [191..160] next selector in the list (threaded list of every known selector, for the loupe)
///   [159..0]   facet (0 = removed)
/// A route is live iff `route >= gate` (as uint256, gate = state with the low 192 bits cleared):
/// that single comparison rejects unknown, disabled, staged (epoch > active) and — via the paused bit —
/// every non-protected route while paused.
///
/// previous word (only while a live route is being replaced by the pending manifest):
///   [255] replaced marker, [254..192] the replaced route's ~epoch, [191..160] next in the pending
///   manifest's replaced list, [159..0] the replaced route's facet. A routed call whose route is not
///   live falls back to it with the same gate comparison (marker cleared), so a live route keeps
///   calling its old facet until activation. Cancel restores routes from it.
library DispatcherStorage {
    /// @custom:storage-location erc7201:payrox.storage.ManifestDispatcher
    struct Layout {
        uint256 state;
        /// [159..96] epoch the list belongs to, [95..64] head: the pending manifest's replaced list.
        uint256 replaced;
        /// roots[ROOT_SLOT bit]: the active root; the pending root is in the other slot.
        bytes32[2] roots;
        mapping(bytes4 selector => uint256) previous;
        /// The pending manifest's binding, proven by its header leaf at commit: the hash of the facet list
        /// activation re-verifies and of the initializer it runs (see IManifestDispatcher).
        bytes32 binding;
        /// A scheduled decrease of the activation delay: [103..64] effect time, [31..0] new delay.
        uint256 delayChange;
    }

    /// @dev The route words: a fixed array indexed by the selector as uint32, in its own ERC-7201
    /// namespace, so a routed call finds its slot with one ADD instead of a KECCAK256.
    /// @custom:storage-location erc7201:payrox.storage.ManifestDispatcher.routes
    struct RouteTable {
        uint256[4294967296] routes;
    }

    // keccak256(abi.encode(uint256(keccak256("payrox.storage.ManifestDispatcher.routes")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant ROUTES_LOCATION = 0xcd18e9669ffb12659a319b54e06100a55b3bc61ebeb2731f2c85c480dddb5e00;

    // keccak256(abi.encode(uint256(keccak256("payrox.storage.ManifestDispatcher")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant LOCATION = 0xc25b9de8b7fb11dca6241ec5c408824be67f87b63c4eb5f43bd56b5fd250af00;

    uint256 internal constant PAUSED = 1 << 255;
    uint256 internal constant PROTECTED = 1 << 255;
    uint256 internal constant REPLACED_MARKER = 1 << 255;
    uint256 internal constant EPOCH_BITS = (1 << 63) - 1;
    /// @dev The top 64 bits of a state word, compared against the top 64 bits of a route word.
    uint256 internal constant GATE_MASK = ~uint256(0) << 192;
    uint256 internal constant ADDRESS_MASK = (1 << 160) - 1;
    uint256 internal constant NEXT_SHIFT = 160;
    uint256 internal constant EPOCH_SHIFT = 192;
    /// @dev The next-selector field of a route/previous word, and the list-head field of the state word.
    uint256 internal constant NEXT_FIELD = uint256(type(uint32).max) << NEXT_SHIFT;
    uint256 internal constant HEAD_FIELD = NEXT_FIELD;
    /// @dev Epoch field of a disabled route: non-zero (so a disabled list tail is never mistaken for an
    /// unknown selector) and below every reachable gate.
    uint256 internal constant DISABLED = 1 << EPOCH_SHIFT;

    uint256 internal constant LEAFCOUNT_SHIFT = 136;
    uint256 internal constant APPLIED_SHIFT = 112;
    uint256 internal constant ETA_SHIFT = 72;
    uint256 internal constant GAP_SHIFT = 40;
    uint256 internal constant COUNT_MASK = (1 << 24) - 1;
    uint256 internal constant GAP_FIELD = uint256(type(uint32).max) << GAP_SHIFT;
    uint256 internal constant CANCELLING = 1 << 39;
    uint256 internal constant DELAY_SCHEDULED = 1 << 38;
    uint256 internal constant ROOT_SLOT = 1 << 37;
    uint256 internal constant DELAY_MASK = (1 << 32) - 1;
    /// @dev Keeps what outlives a pending manifest (clears leafCount, applied, ETA and the cancel flag).
    uint256 internal constant KEEP_ON_RESET = GATE_MASK | HEAD_FIELD | GAP_FIELD | DELAY_SCHEDULED | ROOT_SLOT | DELAY_MASK;

    /// @dev Most distinct facets one manifest may list (a leaf's facet index is one byte; 255 = removal).
    uint256 internal constant MAX_FACETS = 255;
    uint256 internal constant REMOVAL_INDEX = 255;
    /// @dev Most route leaves one manifest may hold (the 24-bit leafCount field).
    uint256 internal constant MAX_LEAVES = COUNT_MASK;
    uint256 internal constant MAX_FACET_CODE_SIZE = 24_576;
    /// @dev Upper bound of the activation delay and of the expiry window (a typo can't freeze upgrades
    /// for longer than this).
    uint64 internal constant MAX_ACTIVATION_DELAY = 30 days;

    /// @dev The dispatcher's storage struct at its ERC-7201 location.
    function layout() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := LOCATION
        }
    }

    /// @dev The route word of `selector`.
    function routeOf(bytes4 selector) internal view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(add(ROUTES_LOCATION, shr(224, selector)))
        }
    }

    /// @dev Stores the route word of `selector`.
    function setRoute(bytes4 selector, uint256 word) internal {
        assembly ("memory-safe") {
            sstore(add(ROUTES_LOCATION, shr(224, selector)), word)
        }
    }

    // ─────────────────────────── state word ───────────────────────────

    /// @dev The inverted-epoch field (bits 254..192) for `epoch`: larger for older epochs.
    function invEpoch(uint64 epoch) internal pure returns (uint256) {
        return (EPOCH_BITS - epoch) << EPOCH_SHIFT;
    }

    /// @dev Active epoch encoded in a state word.
    function activeEpoch(uint256 state) internal pure returns (uint64) {
        return uint64(EPOCH_BITS - ((state >> EPOCH_SHIFT) & EPOCH_BITS));
    }

    /// @dev The gate a route must reach to be live, ignoring pause (used by views and disable).
    function liveGate(uint256 state) internal pure returns (uint256) {
        return state & GATE_MASK & ~PAUSED;
    }

    /// @dev Whether the state word holds the paused flag.
    function isPaused(uint256 state) internal pure returns (bool) {
        return state & PAUSED != 0;
    }

    /// @dev Head of the selector list.
    function listHead(uint256 state) internal pure returns (bytes4) {
        return bytes4(uint32(state >> NEXT_SHIFT));
    }

    /// @dev Pending manifest's leaf count (0 = no pending root).
    function leafCount(uint256 state) internal pure returns (uint32) {
        return uint32((state >> LEAFCOUNT_SHIFT) & COUNT_MASK);
    }

    /// @dev Routes staged by the pending manifest.
    function applied(uint256 state) internal pure returns (uint32) {
        return uint32((state >> APPLIED_SHIFT) & COUNT_MASK);
    }

    /// @dev Pending manifest's ETA.
    function eta(uint256 state) internal pure returns (uint64) {
        return uint64(uint40(state >> ETA_SHIFT));
    }

    /// @dev The epoch of the last commit (the pending root's epoch while one is pending).
    function lastEpoch(uint256 state) internal pure returns (uint64) {
        return activeEpoch(state) + uint32(state >> GAP_SHIFT);
    }

    /// @dev Index into `roots` of the pending root (the active root's slot is the other one).
    function pendingSlot(uint256 state) internal pure returns (uint256) {
        return state & ROOT_SLOT == 0 ? 1 : 0;
    }

    /// @dev Index into `roots` of the active root.
    function activeSlot(uint256 state) internal pure returns (uint256) {
        return state & ROOT_SLOT == 0 ? 0 : 1;
    }

    /// @dev Activation delay stored in the state word (a scheduled decrease may be due: see {effectiveDelay}).
    function delay(uint256 state) internal pure returns (uint64) {
        return uint64(state & DELAY_MASK);
    }

    /// @dev The state word with a scheduled delay decrease applied if its time has come.
    function settleDelay(Layout storage $, uint256 state) internal view returns (uint256) {
        if (state & DELAY_SCHEDULED == 0) return state;
        uint256 change = $.delayChange;
        if (block.timestamp < uint40(change >> 64)) return state;
        return (state & ~(DELAY_MASK | DELAY_SCHEDULED)) | (change & DELAY_MASK);
    }

    // ─────────────────────────── route words ──────────────────────────

    /// @dev Facet of a route or previous word.
    function facetOf(uint256 word) internal pure returns (address) {
        return address(uint160(word));
    }

    /// @dev Next selector of a route word (or next replaced selector of a previous word).
    function nextOf(uint256 word) internal pure returns (bytes4) {
        return bytes4(uint32(word >> NEXT_SHIFT));
    }

    /// @dev A route word.
    function route(uint256 epochField, bytes4 next, address facet) internal pure returns (uint256) {
        return epochField | (uint256(uint32(next)) << NEXT_SHIFT) | uint160(facet);
    }

    /// @dev The facet a selector is live on (ignoring pause), or address(0).
    function liveFacet(Layout storage $, bytes4 selector, uint256 gate) internal view returns (address) {
        uint256 r = routeOf(selector);
        if (r >= gate) return facetOf(r);
        uint256 p = $.previous[selector] & ~REPLACED_MARKER;
        if (p >= gate) return facetOf(p);
        return address(0);
    }

    /// @dev The root of the pending manifest (callers check a root is pending).
    function pendingRootOf(Layout storage $, uint256 state) internal view returns (bytes32) {
        return $.roots[pendingSlot(state)];
    }
}

/**
 * Selectors the ManifestDispatcher never routes away (DESIGN.md property 8): its own lifecycle
 * functions and every function of its admin facet (dispatcher v2), plus 0x00000000 (the end marker of
 * its selector list, and the selector of the manifest tree's header leaf). A test in packages/core
 * checks this list against the compiled contracts.
 */
export const PROTECTED_SELECTORS: ReadonlyMap<string, string> = new Map([
  ["0x00000000", "reserved selector"],
  ["0x01ffc9a7", "supportsInterface(bytes4)"],
  ["0x022d63fb", "defaultAdminDelayIncreaseWait()"],
  ["0x02c675ea", "APPLY_ROLE()"],
  ["0x09b104a8", "pendingBinding()"],
  ["0x0aa6220b", "rollbackDefaultAdminDelay()"],
  ["0x135dd361", "MAX_ACTIVATION_DELAY()"],
  ["0x1740e5eb", "cancelInProgress()"],
  ["0x20df4359", "EMERGENCY_ROLE()"],
  ["0x248a9ca3", "getRoleAdmin(bytes32)"],
  ["0x28469264", "pendingManifest()"],
  ["0x2913daa0", "maxBatchSize()"],
  ["0x2f2ff15d", "grantRole(bytes32,address)"],
  ["0x30e14d3a", "pendingProgress()"],
  ["0x3565aa7a", "pruneSelectors(bytes4[])"],
  ["0x36568abe", "renounceRole(bytes32,address)"],
  ["0x3a8c0786", "activationDelay()"],
  ["0x3f4ba83a", "unpause()"],
  ["0x441e7d58", "COMMIT_ROLE()"],
  ["0x52ef6b2c", "facetAddresses()"],
  ["0x53fc4bfa", "activateCommittedRoot((address,bytes32)[],(address,bytes32,bytes))"],
  ["0x5c975abb", "paused()"],
  ["0x634e93da", "beginDefaultAdminTransfer(address)"],
  ["0x649a5ec7", "changeDefaultAdminDelay(uint48)"],
  ["0x750588cf", "pendingRoot()"],
  ["0x7697d463", "pendingEta()"],
  ["0x7a0ed627", "facets()"],
  ["0x832ee271", "cancelCommittedRoot(bytes32,uint64,uint32)"],
  ["0x8456cb59", "pause()"],
  ["0x84838636", "expiryWindow()"],
  ["0x84ef8ffc", "defaultAdmin()"],
  ["0x88b06baa", "minActivationDelay()"],
  ["0x8da5cb5b", "owner()"],
  ["0x91693ca1", "applyRoutes((address,bytes32)[],bytes32,bytes,bytes32[],bytes)"],
  ["0x91d14854", "hasRole(bytes32,address)"],
  ["0x96b896eb", "setActivationDelay(uint64)"],
  ["0x97107e08", "disableSelector(bytes4)"],
  ["0x9dafbdcb", "pendingActivationDelay()"],
  ["0x9f6b4a3b", "activeEpoch()"],
  ["0xa1eda53c", "pendingDefaultAdminDelay()"],
  ["0xa217fddf", "DEFAULT_ADMIN_ROLE()"],
  ["0xabb2efdf", "activeRoot()"],
  ["0xadfca15e", "facetFunctionSelectors(address)"],
  ["0xaea0e78b", "nextEpoch()"],
  ["0xbfd70686", "listedSelectors(bytes4,uint256)"],
  ["0xcc8463c8", "defaultAdminDelay()"],
  ["0xcc86baf2", "adminFacet()"],
  ["0xcdffacc6", "facetAddress(bytes4)"],
  ["0xcefc1429", "acceptDefaultAdminTransfer()"],
  ["0xcf6eefb7", "pendingDefaultAdmin()"],
  ["0xd472c25f", "commitRoot(bytes32,uint64,uint32,bytes32,bytes32[])"],
  ["0xd547741f", "revokeRole(bytes32,address)"],
  ["0xd602b9fd", "cancelDefaultAdminTransfer()"],
  ["0xf552501a", "pendingEpoch()"],
]);

/**
 * What to do about a protected selector in a build: the usual cause is a migrating EIP-2535 diamond whose
 * loupe, ERC-165 or ownership facet is listed — the dispatcher serves those functions itself.
 */
export const PROTECTED_HINT =
  "the dispatcher serves it itself and never routes it away. Migrating a diamond? Drop its loupe (DiamondLoupeFacet), ERC-165 and ownership (OwnershipFacet) facets from the spec, or list such functions in the facet's \"exclude\"; otherwise rename the facet function";

/** Runtime code size limit of EIP-170; the dispatcher rejects larger facets. */
export const MAX_FACET_CODE_SIZE = 24_576;

/**
 * Gas of `activateCommittedRoot` without facets (intrinsic, role check, state, binding hash, event) and per
 * distinct facet of the manifest (64 calldata bytes, their share of the binding hash, one cold
 * EXTCODEHASH): the plan's activation estimate. Measured on Hardhat's in-process chain (solc 0.8.30,
 * cancun; tests/integration/roundtrip.test.ts re-measures and fails if the model is exceeded): 42,223
 * gas with 1 facet, 199,230 with 40, i.e. ~4,026 per facet and ~38,200 fixed; rounded up here by
 * ~12–18%. At the 255-facet limit that is ~1.2M gas, far under any per-transaction cap; the
 * initializer's own gas comes on top.
 */
export const ACTIVATION_GAS = { fixed: 45_000, perFacet: 4_500 } as const;

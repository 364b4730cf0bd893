// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IManifestDispatcher} from "../IManifestDispatcher.sol";

/// @title IDiamondLoupe
/// @notice EIP-2535 Diamond Loupe: introspection of the live routing table.
interface IDiamondLoupe {
    /// @notice All facets with live routes, each with its live selectors.
    function facets() external view returns (IManifestDispatcher.Facet[] memory facets_);

    /// @notice The live selectors routed to `facet`.
    function facetFunctionSelectors(address facet) external view returns (bytes4[] memory selectors);

    /// @notice Every facet that serves at least one live selector.
    function facetAddresses() external view returns (address[] memory facetAddresses_);

    /// @notice The facet serving `selector` live, or address(0).
    function facetAddress(bytes4 selector) external view returns (address facetAddress_);
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title CounterFacetV1
/// @notice Example facet for the demo and tests: a counter kept in its own ERC-7201 namespace, so it
/// shares nothing with the dispatcher's storage when run by DELEGATECALL.
contract CounterFacetV1 {
    /// @custom:storage-location erc7201:payrox.storage.ExampleFacet
    struct CounterStorage {
        uint256 count;
    }

    // keccak256(abi.encode(uint256(keccak256("payrox.storage.ExampleFacet")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant LOCATION = 0x6b52bd21f3f435bcb8fdae0ff6d79929b6dfea14790c7b4af1af0ac6834de700;

    /// @dev Emitted whenever the count changes.
    event CountChanged(uint256 count);

    function _counter() private pure returns (CounterStorage storage $) {
        assembly ("memory-safe") {
            $.slot := LOCATION
        }
    }

    /// @notice Which implementation serves the call.
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @notice The current count.
    function count() external view returns (uint256) {
        return _counter().count;
    }

    /// @notice Adds one to the count.
    function increment() external {
        emit CountChanged(++_counter().count);
    }

    /// @notice A greeting naming this version.
    function greet() external pure returns (string memory) {
        return "hello from CounterFacetV1";
    }
}

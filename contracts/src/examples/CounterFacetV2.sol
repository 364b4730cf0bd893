// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title CounterFacetV2
/// @notice The upgrade of {CounterFacetV1}: same storage namespace, a new version, a step size and a
/// `decrement` function.
contract CounterFacetV2 {
    /// @custom:storage-location erc7201:payrox.storage.ExampleFacet
    struct CounterStorage {
        uint256 count;
    }

    // keccak256(abi.encode(uint256(keccak256("payrox.storage.ExampleFacet")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant LOCATION = 0x6b52bd21f3f435bcb8fdae0ff6d79929b6dfea14790c7b4af1af0ac6834de700;

    /// @dev Emitted whenever the count changes.
    event CountChanged(uint256 count);

    /// @dev Decrementing below zero.
    error CounterUnderflow();

    function _counter() private pure returns (CounterStorage storage $) {
        assembly ("memory-safe") {
            $.slot := LOCATION
        }
    }

    /// @notice Which implementation serves the call.
    function version() external pure returns (uint256) {
        return 2;
    }

    /// @notice The current count.
    function count() external view returns (uint256) {
        return _counter().count;
    }

    /// @notice Adds ten to the count.
    function increment() external {
        emit CountChanged(_counter().count += 10);
    }

    /// @notice Subtracts one from the count.
    function decrement() external {
        CounterStorage storage $ = _counter();
        if ($.count == 0) revert CounterUnderflow();
        emit CountChanged(--$.count);
    }
}

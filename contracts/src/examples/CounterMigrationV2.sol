// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title CounterMigrationV2
/// @notice An example initializer: activation of the V2 manifest delegatecalls {migrate} in the
/// dispatcher's storage right after the switch, e.g. to seed state the new routes rely on.
contract CounterMigrationV2 {
    /// @custom:storage-location erc7201:payrox.storage.ExampleFacet
    struct CounterStorage {
        uint256 count;
    }

    // keccak256(abi.encode(uint256(keccak256("payrox.storage.ExampleFacet")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant LOCATION = 0x6b52bd21f3f435bcb8fdae0ff6d79929b6dfea14790c7b4af1af0ac6834de700;

    /// @dev Emitted by {migrate} (in the dispatcher's context).
    event CounterMigrated(uint256 previous, uint256 count);

    /// @dev The migration refuses `count` values it can't accept (zero), so a test can make it revert.
    error MigrationRefused(uint256 count);

    /// @notice Sets the counter to `count`, keeping the previous value in the event.
    function migrate(uint256 count) external {
        if (count == 0) revert MigrationRefused(count);
        CounterStorage storage $;
        assembly ("memory-safe") {
            $.slot := LOCATION
        }
        emit CounterMigrated($.count, count);
        $.count = count;
    }

    /// @notice Reverts with no data (tests the dispatcher's InitializerFailed).
    function fail() external pure {
        revert();
    }
}

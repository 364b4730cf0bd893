// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title BenchFacet
/// @notice Gas-bench workload: 64 external functions (`f00`..`f62` pure, `store` writes one slot).
/// @dev Generated shape, kept in source so the bench is reproducible; storage in an ERC-7201 namespace.
contract BenchFacet {
    // keccak256(abi.encode(uint256(keccak256("payrox.storage.BenchFacet")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant SLOT = 0x74a583a1f3e627aae2ef16950b80d86138226dac619007e7af71410d1d84b800;

    /// @notice Writes `value` into the facet's one storage slot.
    function store(uint256 value) external {
        assembly ("memory-safe") {
            sstore(SLOT, value)
        }
    }

    /// @notice Reads the facet's storage slot.
    function stored() external view returns (uint256 value) {
        assembly ("memory-safe") {
            value := sload(SLOT)
        }
    }

    function f00() external pure returns (uint256) {
        return 0;
    }
    function f01() external pure returns (uint256) {
        return 1;
    }
    function f02() external pure returns (uint256) {
        return 2;
    }
    function f03() external pure returns (uint256) {
        return 3;
    }
    function f04() external pure returns (uint256) {
        return 4;
    }
    function f05() external pure returns (uint256) {
        return 5;
    }
    function f06() external pure returns (uint256) {
        return 6;
    }
    function f07() external pure returns (uint256) {
        return 7;
    }
    function f08() external pure returns (uint256) {
        return 8;
    }
    function f09() external pure returns (uint256) {
        return 9;
    }
    function f10() external pure returns (uint256) {
        return 10;
    }
    function f11() external pure returns (uint256) {
        return 11;
    }
    function f12() external pure returns (uint256) {
        return 12;
    }
    function f13() external pure returns (uint256) {
        return 13;
    }
    function f14() external pure returns (uint256) {
        return 14;
    }
    function f15() external pure returns (uint256) {
        return 15;
    }
    function f16() external pure returns (uint256) {
        return 16;
    }
    function f17() external pure returns (uint256) {
        return 17;
    }
    function f18() external pure returns (uint256) {
        return 18;
    }
    function f19() external pure returns (uint256) {
        return 19;
    }
    function f20() external pure returns (uint256) {
        return 20;
    }
    function f21() external pure returns (uint256) {
        return 21;
    }
    function f22() external pure returns (uint256) {
        return 22;
    }
    function f23() external pure returns (uint256) {
        return 23;
    }
    function f24() external pure returns (uint256) {
        return 24;
    }
    function f25() external pure returns (uint256) {
        return 25;
    }
    function f26() external pure returns (uint256) {
        return 26;
    }
    function f27() external pure returns (uint256) {
        return 27;
    }
    function f28() external pure returns (uint256) {
        return 28;
    }
    function f29() external pure returns (uint256) {
        return 29;
    }
    function f30() external pure returns (uint256) {
        return 30;
    }
    function f31() external pure returns (uint256) {
        return 31;
    }
    function f32() external pure returns (uint256) {
        return 32;
    }
    function f33() external pure returns (uint256) {
        return 33;
    }
    function f34() external pure returns (uint256) {
        return 34;
    }
    function f35() external pure returns (uint256) {
        return 35;
    }
    function f36() external pure returns (uint256) {
        return 36;
    }
    function f37() external pure returns (uint256) {
        return 37;
    }
    function f38() external pure returns (uint256) {
        return 38;
    }
    function f39() external pure returns (uint256) {
        return 39;
    }
    function f40() external pure returns (uint256) {
        return 40;
    }
    function f41() external pure returns (uint256) {
        return 41;
    }
    function f42() external pure returns (uint256) {
        return 42;
    }
    function f43() external pure returns (uint256) {
        return 43;
    }
    function f44() external pure returns (uint256) {
        return 44;
    }
    function f45() external pure returns (uint256) {
        return 45;
    }
    function f46() external pure returns (uint256) {
        return 46;
    }
    function f47() external pure returns (uint256) {
        return 47;
    }
    function f48() external pure returns (uint256) {
        return 48;
    }
    function f49() external pure returns (uint256) {
        return 49;
    }
    function f50() external pure returns (uint256) {
        return 50;
    }
    function f51() external pure returns (uint256) {
        return 51;
    }
    function f52() external pure returns (uint256) {
        return 52;
    }
    function f53() external pure returns (uint256) {
        return 53;
    }
    function f54() external pure returns (uint256) {
        return 54;
    }
    function f55() external pure returns (uint256) {
        return 55;
    }
    function f56() external pure returns (uint256) {
        return 56;
    }
    function f57() external pure returns (uint256) {
        return 57;
    }
    function f58() external pure returns (uint256) {
        return 58;
    }
    function f59() external pure returns (uint256) {
        return 59;
    }
    function f60() external pure returns (uint256) {
        return 60;
    }
    function f61() external pure returns (uint256) {
        return 61;
    }
}

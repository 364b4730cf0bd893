// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title DispatcherRoles
/// @notice Role names and the role check shared by the router and its admin facet.
/// @dev Roles are administered by the admin facet, which is OpenZeppelin's
/// `AccessControlDefaultAdminRulesUpgradeable` running in the router's storage. That contract keeps its
/// role table in the ERC-7201 namespace `openzeppelin.storage.AccessControl`; this library reads the same
/// namespace, so the router's lifecycle functions check roles without a cross-contract call and without
/// depending on any contract's sequential slot layout. A test recomputes the namespace formula and
/// compares it with OpenZeppelin's constant, and another grants/revokes through the facet and checks
/// the router follows.
library DispatcherRoles {
    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant COMMIT_ROLE = keccak256("COMMIT_ROLE");
    bytes32 internal constant APPLY_ROLE = keccak256("APPLY_ROLE");
    bytes32 internal constant EMERGENCY_ROLE = keccak256("EMERGENCY_ROLE");

    struct RoleData {
        mapping(address account => bool) hasRole;
        bytes32 adminRole;
    }

    /// @custom:storage-location erc7201:openzeppelin.storage.AccessControl
    struct AccessControlStorage {
        mapping(bytes32 role => RoleData) roles;
    }

    // keccak256(abi.encode(uint256(keccak256("openzeppelin.storage.AccessControl")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant ACCESS_CONTROL_LOCATION =
        0x02dd7bc7dec4dceedda775e58dd541e08a116c6c53815c0bd028192f7b626800;

    /// @dev Whether `account` holds `role`.
    function hasRole(bytes32 role, address account) internal view returns (bool) {
        AccessControlStorage storage $;
        assembly ("memory-safe") {
            $.slot := ACCESS_CONTROL_LOCATION
        }
        return $.roles[role].hasRole[account];
    }

    /// @dev Reverts with OpenZeppelin's `AccessControlUnauthorizedAccount` unless the caller holds `role`.
    function checkRole(bytes32 role) internal view {
        if (!hasRole(role, msg.sender)) revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, role);
    }

    /// @dev Reverts unless the caller holds `roleA` or `roleB` (reports `roleA`).
    function checkEitherRole(bytes32 roleA, bytes32 roleB) internal view {
        if (!hasRole(roleA, msg.sender) && !hasRole(roleB, msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, roleA);
        }
    }
}

/**
 * The devnet's approval policy: 2 of 3 approvers, each a DEVELOPMENT key — anvil's well-known accounts
 * #7, #8 and #9 of the public test mnemonic ("test test … junk"). DEVNET ONLY: these keys are published
 * in every Foundry and Hardhat install; anything they sign for or hold on a real network is anyone's.
 * A real deployment's approver keys live on hardware wallets or in a Safe, never in code or in the
 * deployment's own AWS account.
 */
import { Wallet } from "ethers/wallet";

/** An approver of the devnet's policy, with its DEVELOPMENT key. */
export interface DevnetApprover {
  id: string;
  address: string;
  /** DEVNET ONLY — public test key, never for real funds or real approvals. */
  privateKey: string;
}

/** DEVNET ONLY — anvil accounts #7, #8, #9 of the public test mnemonic; never for real funds or real approvals. */
export const DEVNET_ONLY_APPROVER_KEYS: readonly DevnetApprover[] = [
  { id: "devnet-approver-1", address: "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955", privateKey: "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356" },
  { id: "devnet-approver-2", address: "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f", privateKey: "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97" },
  { id: "devnet-approver-3", address: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", privateKey: "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6" },
];

/** The devnet's deployment id: the EIP-712 domain's salt is its keccak256. */
export const DEVNET_DEPLOYMENT_ID = "payrox-devnet";

/** The principal the devnet's local API hands the functions for every request (there is no IAM locally). */
export const DEVNET_PRINCIPAL = "devnet:local";

/**
 * The devnet's policy: any 2 of the 3 DEVELOPMENT approvers within a day. The devnet's proposer (the
 * local API's one principal) is mapped to approver 3, so approver 3 may not approve the devnet's own
 * proposals (self-approval is forbidden, the default) and approvers 1 and 2 sign them — separation of
 * duties as a real policy sets it up. Not all-or-none: a network that halts does not hold the others.
 */
export const DEVNET_APPROVAL_POLICY = {
  approvals: {
    approvers: DEVNET_ONLY_APPROVER_KEYS.map(({ id, address }) => ({ id, address, kind: "eoa" as const })),
    threshold: 2,
    windowSeconds: 24 * 3600,
    proposerMap: { [DEVNET_PRINCIPAL]: DEVNET_ONLY_APPROVER_KEYS[2]!.address },
    forbidSelfApproval: true,
    allOrNone: false,
  },
} as const;

/** Wallets of the approvers the devnet signs its own proposals with (1 and 2; 3 proposed them). DEVNET ONLY. */
export function devnetSigningApprovers(): { id: string; wallet: Wallet }[] {
  return DEVNET_ONLY_APPROVER_KEYS.slice(0, DEVNET_APPROVAL_POLICY.approvals.threshold).map((a) => ({ id: a.id, wallet: new Wallet(a.privateKey) }));
}

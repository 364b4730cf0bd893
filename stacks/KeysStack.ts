/**
 * Signer keys (one asymmetric KMS key per on-chain signer role) and the secrets the functions bind.
 *
 * - `scheduler`: holds COMMIT_ROLE and APPLY_ROLE on every dispatcher; only the commit / apply /
 *   activate functions may sign with it.
 * - `emergency`: holds EMERGENCY_ROLE (cancel); only the API function may sign with it (cancelling a
 *   committed run is the API's one chain write), so the internet-facing function can never commit.
 *
 * The key policies name the functions' roles by ARN in a condition (the roles are created later, by
 * the stacks that own the functions), and leave the account's administrators every key-management
 * action but none that signs.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import { ENV } from "@payrox/functions";
import { Config, type StackContext } from "sst/constructs";
import { FunctionRole, functionRoleArn, isProtectedStage, resourceName } from "./naming.js";
import { readDeploySettings, type DeploySettings } from "./settings.js";

/** The on-chain signer roles PayRox holds a key for, and the functions that sign with each. */
export const SIGNERS = {
  scheduler: [FunctionRole.COMMIT, FunctionRole.APPLY, FunctionRole.ACTIVATE],
  emergency: [FunctionRole.API],
} as const satisfies Record<string, readonly FunctionRole[]>;
/** One of {@link SIGNERS}' names. */
export type SignerName = keyof typeof SIGNERS;

/** What signing needs: the signature, the public key (the address), and the pre-flight DescribeKey. */
export const SIGNING_ACTIONS = ["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"];

/** Key-management actions the account keeps; deliberately no kms:Sign, kms:Verify or data-key action. */
const ADMIN_ACTIONS = [
  "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*",
  "kms:GetKeyPolicy", "kms:GetPublicKey", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
];

/** Alias of a signer key: `alias/<app>-<stage>-<signer>-signer`. */
export function signerAlias(app: StackContext["app"], signer: SignerName): string {
  return `alias/${resourceName(app, `${signer}-signer`)}`;
}

/** The secrets functions bind; each is named after the ENV variable it fills (see functions/src/secrets.ts). */
export const SECRET_NAMES = [ENV.NETWORK_CONFIG, ENV.ALERT_WEBHOOKS, ENV.FLASHBOTS_AUTH_KEY] as const;

/** The alert destinations' credentials: a secret exists (and is bound) only when its destination is switched on. */
export const ALERT_DESTINATION_SECRETS = { pagerDuty: ENV.PAGERDUTY_ROUTING_KEY, slack: ENV.SLACK_WEBHOOK_URL } as const;

/** The names of the destination secrets `settings` switch on. */
export function alertDestinationSecretNames(settings: Pick<DeploySettings, "alertPagerDuty" | "alertSlack">): string[] {
  return [...(settings.alertPagerDuty ? [ALERT_DESTINATION_SECRETS.pagerDuty] : []), ...(settings.alertSlack ? [ALERT_DESTINATION_SECRETS.slack] : [])];
}

/** Signer keys with their aliases, and the SST secrets. */
export function KeysStack({ app, stack }: StackContext) {
  const keys = Object.fromEntries(
    (Object.keys(SIGNERS) as SignerName[]).map((signer) => {
      const signers = SIGNERS[signer].map((fn) => functionRoleArn(stack, app, fn));
      const policy = new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ sid: "AccountAdministersNotSigns", principals: [new iam.AccountRootPrincipal()], actions: ADMIN_ACTIONS, resources: ["*"] }),
          new iam.PolicyStatement({
            sid: "OnlyTheseFunctionsSign",
            principals: [new iam.AccountRootPrincipal()],
            actions: SIGNING_ACTIONS,
            resources: ["*"],
            conditions: { ArnEquals: { "aws:PrincipalArn": signers } },
          }),
        ],
      });
      const key = new kms.Key(stack, `${signer[0]!.toUpperCase()}${signer.slice(1)}Signer`, {
        description: `PayRox ${app.stage} ${signer} signer (secp256k1): holds the ${signer === "scheduler" ? "COMMIT and APPLY roles" : "EMERGENCY role"} on the dispatchers`,
        keySpec: kms.KeySpec.ECC_SECG_P256K1,
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        policy,
        alias: signerAlias(app, signer),
        pendingWindow: Duration.days(30),
        removalPolicy: isProtectedStage(app.stage) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      stack.addOutputs({ [`${signer}SignerKeyArn`]: key.keyArn, [`${signer}SignerAlias`]: signerAlias(app, signer) });
      return [signer, key];
    }),
  ) as Record<SignerName, kms.Key>;
  const secrets = Object.fromEntries(SECRET_NAMES.map((name) => [name, new Config.Secret(stack, name)])) as Record<(typeof SECRET_NAMES)[number], Config.Secret>;
  const alertSecrets = alertDestinationSecretNames(readDeploySettings(process.env)).map((name) => new Config.Secret(stack, name));
  return { keys, secrets, alertSecrets };
}

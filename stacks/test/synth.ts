/**
 * Synthesises the real app (sst.config.ts's stacks) offline, the way `sst deploy` builds it but without
 * the CLI (which needs AWS credentials): initProject → App in deploy mode → the config's stacks →
 * cdk-nag's AwsSolutions checks as an aspect.
 */
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { Aspects } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { App, getStack } from "sst/constructs";
import type { FunctionalStack } from "sst/constructs/FunctionalStack.js";
import { initProject } from "sst/project.js";
import config from "../../sst.config.js";
import { DEPLOY_ENV } from "../settings.js";

/** Account and region of the synthesised app (never contacted). */
export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

/** The approval policy the stack tests deploy with unless they set one: 2 of 3 development keys (no funds, no use). */
export const TEST_APPROVAL_POLICY = {
  approvals: {
    approvers: [
      { id: "dev-approver-1", address: "0x1111111111111111111111111111111111111111", kind: "eoa" },
      { id: "dev-approver-2", address: "0x2222222222222222222222222222222222222222", kind: "eoa" },
      { id: "dev-approver-3", address: "0x3333333333333333333333333333333333333333", kind: "eoa" },
    ],
    threshold: 2,
    windowSeconds: 86_400,
    proposerMap: {},
    forbidSelfApproval: false,
    allOrNone: true,
  },
};

/** A synthesised app: templates and cdk-nag findings per stack. */
export interface SynthesizedApp {
  app: App;
  template(stack: FunctionalStack<unknown>): Template;
  /** AwsSolutions errors and warnings cdk-nag left unsuppressed in the stack. */
  nagFindings(stack: FunctionalStack<unknown>): string[];
}

/**
 * Synthesises every stack for `stage`, with the deploy-time environment `deployEnv` set while it runs
 * (the approval policy defaults to {@link TEST_APPROVAL_POLICY}).
 * @param options.bundle also run SST's deferred tasks (esbuild-bundles every function: slower)
 */
export async function synthesize(stage: string, deployEnv: Record<string, string> = {}, options: { bundle?: boolean } = {}): Promise<SynthesizedApp> {
  const env = DEPLOY_ENV.APPROVAL_POLICY_FILE in deployEnv ? deployEnv : { [DEPLOY_ENV.APPROVAL_POLICY]: JSON.stringify(TEST_APPROVAL_POLICY), ...deployEnv };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    await initProject({ stage });
    const app = new App({ mode: "deploy", stage, region: REGION, account: ACCOUNT, name: config.config().name });
    Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
    await config.stacks(app);
    if (options.bundle) await app.finish();
    const templates = new Map<FunctionalStack<unknown>, Template>();
    return {
      app,
      template(stack) {
        if (!templates.has(stack)) templates.set(stack, Template.fromStack(getStack(stack)));
        return templates.get(stack)!;
      },
      nagFindings(stack) {
        const annotations = Annotations.fromStack(getStack(stack));
        return [...annotations.findError("*", Match.stringLikeRegexp("AwsSolutions-.*")), ...annotations.findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"))].map(
          (finding) => `${finding.id}: ${String(finding.entry.data).split("\n")[0]}`,
        );
      },
    };
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  }
}

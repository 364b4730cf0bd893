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

/** Account and region of the synthesised app (never contacted). */
export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

/** A synthesised app: templates and cdk-nag findings per stack. */
export interface SynthesizedApp {
  app: App;
  template(stack: FunctionalStack<unknown>): Template;
  /** AwsSolutions errors and warnings cdk-nag left unsuppressed in the stack. */
  nagFindings(stack: FunctionalStack<unknown>): string[];
}

/**
 * Synthesises every stack for `stage`, with the deploy-time environment `env` set while it runs.
 * @param options.bundle also run SST's deferred tasks (esbuild-bundles every function: slower)
 */
export async function synthesize(stage: string, env: Record<string, string> = {}, options: { bundle?: boolean } = {}): Promise<SynthesizedApp> {
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

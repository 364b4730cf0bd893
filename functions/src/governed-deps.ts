/**
 * Deps whose governance is built on first need. Validating the approval policy and hashing it loads
 * ethers, which the API's start-up and its read routes never load: only the routes and steps that act on
 * approvals (propose, approve, the policy and approvals views, every step) await {@link withGovernance}.
 */
import type { GovernanceDeps, SchedulerDeps } from "@payrox/core/runs";

/** The deployment's governance as the functions build it: the core ports plus what `GET /policy` shows. */
export interface DeploymentGovernance extends GovernanceDeps {
  /** A protected (production) stage: `approvals: "none"` is refused. */
  protectedStage: boolean;
}

/** {@link SchedulerDeps} that may carry a loader of their governance (`buildDeps` always sets one). */
export interface GovernedDeps extends SchedulerDeps {
  /** Builds (once per container) and returns the deployment's governance; rejects on a policy that can't be used. */
  loadGovernance?: () => Promise<DeploymentGovernance>;
}

/**
 * `deps` with `governance` built: as given when it is set or nothing can build it (deps made by hand).
 * @throws EnvConfigError naming PAYROX_APPROVAL_POLICY when the policy is malformed (the caller answers 500)
 */
export async function withGovernance(deps: GovernedDeps): Promise<SchedulerDeps> {
  if (deps.governance || !deps.loadGovernance) return deps;
  return { ...deps, governance: await deps.loadGovernance() };
}

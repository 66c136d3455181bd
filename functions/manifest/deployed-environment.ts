/**
 * A function's whole environment as the deployment gives it, by where each value comes from:
 * its own variables (function-resources.ts `environmentOf`: its tables', queues' and bus's
 * names, its secrets' ARNs, its settings), what every function shares (the Powertools names,
 * the log level) and, for a function that calls an upstream, the shared budget's limits and
 * background share (every such function must read the same: one ring per client).
 *
 * One list that infra/environment.ts resolves to a stage's values and local/stack/service-env.ts
 * to the local stack's, so a function under `npm start` is given what its deployed one is.
 */
import { upstreamBudgetEnvironment } from "../adapters/upstreams/upstream-registry.ts";
import { callsUpstreams, environmentOf, type VariableSource } from "./function-resources.ts";
import type { FunctionDefinition } from "./manifest-types.ts";

/** Where a variable of the deployed environment takes its value from. */
export type DeployedVariableSource =
  | VariableSource
  | { kind: "service-name" }
  | { kind: "metrics-namespace" }
  | { kind: "log-level" }
  | { kind: "background-share" };

export const deployedEnvironmentOf = (fn: FunctionDefinition): Record<string, DeployedVariableSource> => ({
  ...environmentOf(fn),
  POWERTOOLS_SERVICE_NAME: { kind: "service-name" },
  POWERTOOLS_METRICS_NAMESPACE: { kind: "metrics-namespace" },
  LOG_LEVEL: { kind: "log-level" },
  ...(callsUpstreams(fn)
    ? {
        ...Object.fromEntries(
          Object.entries(upstreamBudgetEnvironment()).map(([name, value]) => [
            name,
            { kind: "value", value } as const,
          ]),
        ),
        BACKGROUND_BUDGET_SHARE: { kind: "background-share" },
      }
    : {}),
});

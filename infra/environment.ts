import { upstreamBudgetEnvironment } from "../functions/adapters/upstreams/upstream-registry.ts";
import {
  callsUpstreams,
  environmentOf,
  type VariableSource,
} from "../functions/manifest/function-resources.ts";
import type { FunctionDefinition } from "../functions/manifest/manifest-types.ts";
import { type DeployedResources, queueOf } from "./permissions.ts";
import { BACKGROUND_BUDGET_SHARE, isProduction, METRICS_NAMESPACE, SERVICE_NAME } from "./settings.ts";

/**
 * A function's environment: what its manifest entry says it uses (functions/manifest
 * `environmentOf`: its tables', queues' and bus's names, its secrets' ARNs, its own settings),
 * resolved to this stage's values, plus what every function shares (Powertools names, log
 * level) and, for a function that calls an upstream, the shared budget's limits (every such
 * function must read the same limits: one ring per client).
 */
export function functionEnvironment(
  fn: FunctionDefinition,
  resources: DeployedResources,
): Record<string, $util.Input<string>> {
  const { storage, secrets, bus } = resources;
  const resolveVariable = (source: VariableSource): $util.Input<string> => {
    switch (source.kind) {
      case "table-name":
        return storage[source.table].name;
      case "queue-url":
        return queueOf(resources, source.queue).url;
      case "bus-name":
        return bus.name;
      case "secret-arn":
        return secrets[source.secret].arn;
      case "value":
        return source.value;
    }
  };
  const own = Object.fromEntries(
    Object.entries(environmentOf(fn)).map(([name, source]) => [name, resolveVariable(source)]),
  );
  return {
    ...own,
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    LOG_LEVEL: isProduction() ? "INFO" : "DEBUG",
    ...(callsUpstreams(fn) ? { ...upstreamBudgetEnvironment(), BACKGROUND_BUDGET_SHARE } : {}),
  };
}

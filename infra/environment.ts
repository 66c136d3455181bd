import {
  type DeployedVariableSource,
  deployedEnvironmentOf,
} from "../functions/manifest/deployed-environment.ts";
import type { FunctionDefinition } from "../functions/manifest/manifest-types.ts";
import { type DeployedResources, queueOf } from "./permissions.ts";
import { BACKGROUND_BUDGET_SHARE, isProduction, METRICS_NAMESPACE, SERVICE_NAME } from "./settings.ts";

/**
 * A function's environment: what its manifest entry says it uses (functions/manifest
 * `environmentOf`: its tables', queues' and bus's names, its secrets' ARNs, its own settings),
 * plus what every function shares (Powertools names, log level) and, for a function that calls
 * an upstream, the shared budget's limits (every such function must read the same limits: one
 * ring per client): functions/manifest/deployed-environment.ts, resolved to this stage's values
 * (local/stack/service-env.ts resolves the same list to the local stack's).
 */
export function functionEnvironment(
  fn: FunctionDefinition,
  resources: DeployedResources,
): Record<string, $util.Input<string>> {
  const { storage, secrets, bus } = resources;
  const resolveVariable = (source: DeployedVariableSource): $util.Input<string> => {
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
      case "service-name":
        return SERVICE_NAME;
      case "metrics-namespace":
        return METRICS_NAMESPACE;
      case "log-level":
        return isProduction() ? "INFO" : "DEBUG";
      case "background-share":
        return BACKGROUND_BUDGET_SHARE;
    }
  };
  return Object.fromEntries(
    Object.entries(deployedEnvironmentOf(fn)).map(([name, source]) => [name, resolveVariable(source)]),
  );
}

/**
 * The environment each local function reads, as its deployed one is given it: the same list
 * infra/environment.ts resolves (functions/manifest/deployed-environment.ts: its tables',
 * queues' and bus's names, its secrets, its own settings, the shared Powertools names and log
 * level, the budget's limits for a function that calls an upstream), resolved to the local
 * pieces, plus what only a local run needs: the local endpoints, Lambda's region and
 * credentials (fake), the secrets file in place of the secrets' ARNs, and the tour's quick first
 * check. A function is not given what its deployed one is not (the relay no table, the HTTP
 * function no bus), so a variable read but not deployed fails here as it would on AWS.
 *
 * Nothing of the developer's shell reaches a function except the settings listed below, so no
 * AWS profile or endpoint can make a local function reach a real account. A queue's URL is given
 * by the stack once it has made the queue (local-stack.ts: a trigger's queues, `sends`).
 */
import { budgetVariableOf, UPSTREAM_NAMES } from "#adapters/upstreams/upstream-registry.ts";
import { type DeployedVariableSource, deployedEnvironmentOf } from "#manifest/deployed-environment.ts";
import { FUNCTION_LIST } from "#manifest/function-manifest.ts";
import { localNameOf } from "#manifest/function-resources.ts";
import type { FunctionDefinition } from "#manifest/manifest-types.ts";
import { DEFAULT_BACKGROUND_BUDGET_SHARE } from "#wiring/config.ts";
import { SERVICE_NAME } from "#wiring/metric-catalogue.ts";
import type { LocalFunctionSpec } from "./lambda/local-function.ts";
import { EVENTBRIDGE_PATH } from "./put-events-endpoint.ts";
import { type LocalSettings, loopbackUrl } from "./settings.ts";
import { LOCAL_TABLES } from "./tables.ts";

export const LOCAL_EVENT_BUS_NAME = "cancellation-local";

/** Settings a developer may override from the shell (`EXPIRY_AFTER=1h npm start`), for every function (Powertools reads them). */
const POWERTOOLS_OVERRIDABLE = ["LOG_LEVEL", "POWERTOOLS_METRICS_DISABLED"];

/** Service settings a developer may override from the shell, for the functions that read the service's configuration. */
const SERVICE_OVERRIDABLE = [
  "EXPIRY_AFTER",
  "SWEEP_CONCURRENCY",
  "SWEEP_PAGE_SIZE",
  ...UPSTREAM_NAMES.map(budgetVariableOf),
  "BACKGROUND_BUDGET_SHARE",
  "UPSTREAM_BUDGET_MARGIN_MS",
  "CONTINUATION_FIRST_CHECK",
  "CONTINUATION_MAX_BACKOFF",
  "STUCK_AFTER",
  "UPSTREAM_TIMEOUT_MS",
  "UPSTREAM_MAX_ATTEMPTS",
  "MAX_BODY_BYTES",
  "SECRETS_TTL_SECONDS",
];

/** A deployed variable's local value; `undefined` for the ones a local run gives otherwise. */
const localValueOf = (source: DeployedVariableSource): string | undefined => {
  switch (source.kind) {
    case "table-name":
      return LOCAL_TABLES[source.table];
    case "bus-name":
      return LOCAL_EVENT_BUS_NAME;
    // The stack gives a queue's URL once it has made the queue (local-stack.ts).
    case "queue-url":
      return undefined;
    // One local file holds every secret: SECRETS_FILE stands for their ARNs.
    case "secret-arn":
      return undefined;
    case "value":
      return source.value;
    case "service-name":
      return SERVICE_NAME;
    case "metrics-namespace":
      return "cancellation-service-local";
    // Powertools' own default: what a local run logged before it was given explicitly.
    case "log-level":
      return "INFO";
    case "background-share":
      return String(DEFAULT_BACKGROUND_BUDGET_SHARE);
  }
};

/** One function's own variables: its deployed environment resolved locally, then the shell's overrides. */
export const localFunctionEnvironment = (
  fn: FunctionDefinition,
  secretsFile: string,
  inherited: Record<string, string | undefined>,
): Record<string, string> => {
  const deployed = Object.entries(deployedEnvironmentOf(fn));
  const env: Record<string, string> = {};
  for (const [name, source] of deployed) {
    const value = localValueOf(source);
    if (value !== undefined) env[name] = value;
  }
  if (deployed.some(([, source]) => source.kind === "secret-arn")) env.SECRETS_FILE = secretsFile;
  const overridable = [...POWERTOOLS_OVERRIDABLE];
  if (fn.composition === "service") {
    // The sandbox finishes an asynchronous cancel in 2 s: look soon, so the tour's order ends in seconds.
    env.CONTINUATION_FIRST_CHECK = "5s";
    overridable.push(...SERVICE_OVERRIDABLE);
  }
  for (const name of overridable) {
    const value = inherited[name];
    if (value !== undefined && value !== "") env[name] = value;
  }
  return env;
};

/** What every local container gets: the local endpoints and Lambda's region and (fake) credentials. */
export const localRuntimeEnvironment = (settings: LocalSettings): Record<string, string> => ({
  DYNAMODB_ENDPOINT: loopbackUrl(settings.ports.dynamodb),
  EVENTBRIDGE_ENDPOINT: `${loopbackUrl(settings.ports.http)}${EVENTBRIDGE_PATH}`,
  // Fake credentials: the SDK clients sign with them; nothing local checks them.
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  // EMF lines are CloudWatch's input, noise in a developer's terminal (the continuation alone
  // writes its gauges every run): off unless asked for with POWERTOOLS_METRICS_DISABLED=false.
  POWERTOOLS_METRICS_DISABLED: "true",
});

/** The manifest entry a local function runs (its local name is derived from it). */
export const definitionOf = (spec: Pick<LocalFunctionSpec, "name">): FunctionDefinition => {
  const fn = FUNCTION_LIST.find((entry) => localNameOf(entry) === spec.name);
  if (fn === undefined) throw new Error(`no function of the manifest runs locally as ${spec.name}`);
  return fn;
};

/** The functions, each with its own environment, and what every container shares: startLocalStack's options. */
export const withLocalEnvironments = (
  functions: readonly LocalFunctionSpec[],
  settings: LocalSettings,
  secretsFile: string,
  inherited: Record<string, string | undefined>,
): { functions: LocalFunctionSpec[]; serviceEnv: Record<string, string> } => ({
  functions: functions.map((spec) => ({
    ...spec,
    env: { ...spec.env, ...localFunctionEnvironment(definitionOf(spec), secretsFile, inherited) },
  })),
  serviceEnv: localRuntimeEnvironment(settings),
});

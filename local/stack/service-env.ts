/**
 * The environment every local function reads on its first invocation
 * (functions/wiring/config.ts), pointed at the local pieces. Each container gets exactly
 * this (plus its own function's variables and Lambda's runtime variables): nothing of the
 * developer's shell reaches a function except the service settings listed below, so no AWS
 * profile or endpoint can make a local function reach a real account.
 */
import { budgetVariableOf, UPSTREAM_NAMES } from "#adapters/upstreams/upstream-registry.ts";
import { EVENTBRIDGE_PATH } from "./put-events-endpoint.ts";
import { type LocalSettings, loopbackUrl } from "./settings.ts";
import { LOCAL_TABLES } from "./tables.ts";

export const LOCAL_EVENT_BUS_NAME = "cancellation-local";

/** Service settings a developer may override from the shell (`EXPIRY_AFTER=1h npm start`). */
const OVERRIDABLE = [
  "LOG_LEVEL",
  "POWERTOOLS_METRICS_DISABLED",
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

/** The variables for the functions, given where everything runs. */
export const serviceEnvironment = (
  settings: LocalSettings,
  secretsFile: string,
  inherited: Record<string, string | undefined>,
): Record<string, string> => {
  const env: Record<string, string> = {
    IDEMPOTENCY_TABLE: LOCAL_TABLES.idempotency,
    AUDIT_TABLE: LOCAL_TABLES.audit,
    EVENT_BUS_NAME: LOCAL_EVENT_BUS_NAME,
    SECRETS_FILE: secretsFile,
    DYNAMODB_ENDPOINT: loopbackUrl(settings.ports.dynamodb),
    EVENTBRIDGE_ENDPOINT: `${loopbackUrl(settings.ports.http)}${EVENTBRIDGE_PATH}`,
    // Fake credentials: the SDK clients sign with them; nothing local checks them.
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    POWERTOOLS_SERVICE_NAME: "cancellation-service",
    POWERTOOLS_METRICS_NAMESPACE: "cancellation-service-local",
    // EMF lines are CloudWatch's input, noise in a developer's terminal (the continuation alone
    // writes its gauges every run): off unless asked for with POWERTOOLS_METRICS_DISABLED=false.
    POWERTOOLS_METRICS_DISABLED: "true",
    // The sandbox finishes an asynchronous cancel in 2 s: look soon, so the tour's order ends in seconds.
    CONTINUATION_FIRST_CHECK: "5s",
  };
  for (const name of OVERRIDABLE) {
    const value = inherited[name];
    if (value !== undefined && value !== "") env[name] = value;
  }
  return env;
};

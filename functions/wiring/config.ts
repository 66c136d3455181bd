/**
 * The service's configuration, read from the environment once per container and
 * validated at start: a missing or malformed variable stops the container with an error
 * that names every such variable (never its value).
 *
 * Each function is given only what its manifest entry says it uses
 * (functions/manifest/function-resources.ts `environmentOf`): the names of the tables,
 * queues and bus its code calls, the ARNs of the secrets it may read, its own settings.
 * The variable names of resources come from there; a function is never asked for a
 * variable it does not use (the bus's name is the relay's alone: {@link readRelayConfig}).
 *
 * Every variable is listed once, as data, in {@link SERVICE_VARIABLES} and
 * {@link RELAY_VARIABLES}: docs/configuration.md is generated from them (`npm run
 * docs:config`), and test/unit/docs/configuration-doc.test.ts checks them against the readers
 * below (each listed variable is read and each read one listed; its documented default changes
 * nothing; its documented range is the one enforced) and the committed page against them.
 */
import {
  budgetVariableOf,
  SECRET_NAMES,
  secretNamingOf,
  UPSTREAM_NAMES,
  UPSTREAM_REGISTRY,
} from "#adapters/upstreams/upstream-registry.ts";
import type { LifecyclePolicy } from "#core/cancellation.ts";
import { ConfigurationError, type UpstreamName } from "#core/errors.ts";
import {
  BUS_VARIABLE,
  queueUrlVariable,
  SECRET_VARIABLES,
  TABLE_VARIABLES,
} from "#manifest/function-resources.ts";
import { type UpstreamRegistryOf, upstreamBudgets, upstreamSecretArns } from "./upstream-config.ts";

/** The budget's share for background work when BACKGROUND_BUDGET_SHARE is not set (ADR 0003). */
export const DEFAULT_BACKGROUND_BUDGET_SHARE = 0.6;
export interface ServiceConfig {
  idempotencyTable: string;
  auditTable: string;
  secrets:
    | {
        source: "secrets-manager";
        /** Each upstream's secret the function was given (its manifest entry grants it). */
        upstreams: Partial<Record<UpstreamName, string>>;
        clients: string | undefined;
      }
    | { source: "file"; path: string };
  secretsTtlMs: number;
  /** The bus function's work queue (given to it, which puts requests back, and to the continuation, which sends bulk items). */
  cancelRequestedQueueUrl: string | undefined;
  cancelRequestedFailuresUrl: string | undefined;
  dynamoDbEndpoint: string | undefined;
  eventBridgeEndpoint: string | undefined;
  sqsEndpoint: string | undefined;
  upstreamTimeoutMs: number;
  upstreamMaxAttempts: number;
  /** The shared upstream budget (functions/adapters/budget/shared-upstream-budget.ts). */
  budget: {
    perMinute: Record<UpstreamName, number>;
    backgroundShare: number;
    marginMs: number;
  };
  maxBodyBytes: number;
  sweep: {
    expiryAfterMs: number;
    concurrency: number;
    pageSize: number;
    dryRun: boolean;
  };
  lifecycle: LifecyclePolicy;
  continuation: { concurrency: number; pageSize: number };
}

/**
 * The largest budget a limit may be set to (ADR 0008; docs/capacity.md). Each ring item
 * keeps at most 72 bucket times whatever the limit, so a take is one write unit at any
 * limit; used to the full, a limit of L takes L / 60 slots a second from two items (its
 * background share and the rest), each on its own partition of 1,000 write units a second:
 * at 10,000 a minute the background ring (6,000) takes 100 a second, a tenth of its
 * partition, the rest left for refused takes and contention. Larger limits would still fit;
 * none is known, and the bench measures up to this one.
 */
export const MAX_BUDGET_PER_MINUTE = 10_000;

/** Why a budget limit over {@link MAX_BUDGET_PER_MINUTE} is refused, for the start-up error. */
const BUDGET_CEILING_WHY = "more than the budget was measured at: docs/capacity.md";

/**
 * The upstream whose secret every function that cancels reads (the sweep lists and cancels
 * intents), so its absence stops the container at start; any other upstream's secret is
 * given only to the functions that call it (their manifest entries grant it).
 */
const CALLED_BY_EVERY_FUNCTION: UpstreamName = "procure-core";

/** What a variable accepts: the generated page says it, the configuration test probes it. */
export type VariableValue =
  | { type: "text" }
  | { type: "url" }
  | { type: "integer"; min: number; max: number }
  /** Over 0, at most 1. */
  | { type: "fraction" }
  /** `90m`, `24h`, `30s`, `2d`, `500ms`, or a bare number of milliseconds. */
  | { type: "duration" }
  | { type: "boolean" };

/** One documented environment variable. */
export interface ConfigVariable {
  name: string;
  value: VariableValue;
  /** The value used when it is unset (as it would be written in the environment). */
  default?: string;
  /** Without a default: when it must be set, or who sets it. */
  whenUnset?: string;
  meaning: string;
  /** Read by a library rather than by {@link readConfig} (not probed by the configuration test). */
  readBy?: "Powertools";
}

const TEXT = { type: "text" } as const;
const URL_VALUE = { type: "url" } as const;
const integerFrom = (min: number, max: number): VariableValue => ({ type: "integer", min, max });
const DURATION = { type: "duration" } as const;

/** Every variable of the functions that cancel (HTTP API, bus, sweep, continuation), as {@link readConfig} reads it. */
export const SERVICE_VARIABLES: readonly ConfigVariable[] = [
  {
    name: "IDEMPOTENCY_TABLE",
    value: TEXT,
    whenUnset: "required",
    meaning:
      "DynamoDB table of idempotency keys, cancellations (`byNextCheck` index) and the upstream budget",
  },
  {
    name: "AUDIT_TABLE",
    value: TEXT,
    whenUnset: "required",
    meaning: "DynamoDB audit table (target key, `byDay` index, the stream the outbox relay reads)",
  },
  // One per upstream of the registry (functions/adapters/upstreams/upstream-registry.ts).
  ...UPSTREAM_NAMES.map(
    (name): ConfigVariable => ({
      name: secretNamingOf(name).arnVariable,
      value: TEXT,
      whenUnset:
        name === CALLED_BY_EVERY_FUNCTION
          ? "required unless `SECRETS_FILE`"
          : "functions that call it (their manifest entries grant its secret), unless `SECRETS_FILE`",
      meaning: `Secrets Manager id of the service's ${UPSTREAM_REGISTRY[name].label} credentials${
        name === CALLED_BY_EVERY_FUNCTION ? "" : "; asking for them without it names this variable"
      }`,
    }),
  ),
  {
    name: "CLIENTS_SECRET_ARN",
    value: TEXT,
    whenUnset: "HTTP API only",
    meaning:
      "Secrets Manager id of the inbound callers' credentials; the bus and sweep functions are not given it",
  },
  {
    name: "SECRETS_FILE",
    value: TEXT,
    whenUnset: "local runs only",
    meaning: `one JSON file holding the service's secrets by name (${SECRET_NAMES.map((name) => `\`${name}\``).join(", ")})`,
  },
  {
    name: "SECRETS_TTL_SECONDS",
    value: integerFrom(0, 86_400),
    default: "300",
    meaning:
      "per-container cache of secrets (a 401 from an upstream, an unknown app id or a signature that does not match re-reads at once)",
  },
  {
    name: "CANCEL_REQUESTED_QUEUE_URL",
    value: URL_VALUE,
    whenUnset: "bus and continuation functions only",
    meaning:
      "the bus function's SQS work queue, where it puts rate-limited requests back for later and the continuation's bulk driver sends bulk job items",
  },
  {
    name: "CANCEL_REQUESTED_FAILURES_URL",
    value: URL_VALUE,
    whenUnset: "bus function only",
    meaning:
      "its work queue's dead-letter queue, where it moves a message failing on its last receive, with the error",
  },
  { name: "DYNAMODB_ENDPOINT", value: TEXT, whenUnset: "local runs only", meaning: "DynamoDB Local" },
  { name: "EVENTBRIDGE_ENDPOINT", value: TEXT, whenUnset: "local runs only", meaning: "the local bus" },
  { name: "SQS_ENDPOINT", value: URL_VALUE, whenUnset: "local runs only", meaning: "the local queues" },
  {
    name: "UPSTREAM_TIMEOUT_MS",
    value: integerFrom(100, 60_000),
    default: "5000",
    meaning: "per-attempt timeout of an upstream call",
  },
  {
    name: "UPSTREAM_MAX_ATTEMPTS",
    value: integerFrom(1, 10),
    default: "4",
    meaning: "attempts per upstream call, the first included",
  },
  // One per upstream of the registry, its default the registry's.
  ...UPSTREAM_NAMES.map(
    (name): ConfigVariable => ({
      name: budgetVariableOf(name),
      value: integerFrom(1, MAX_BUDGET_PER_MINUTE),
      default: String(UPSTREAM_REGISTRY[name].budgetPerMinute),
      meaning: `shared upstream budget: ${UPSTREAM_REGISTRY[name].label} requests per minute, every function together (${UPSTREAM_REGISTRY[name].budgetSource})`,
    }),
  ),
  {
    name: "BACKGROUND_BUDGET_SHARE",
    value: { type: "fraction" },
    default: "0.6",
    meaning: "share of each limit bus, sweep and continuation work may use in any minute",
  },
  {
    name: "UPSTREAM_BUDGET_MARGIN_MS",
    value: integerFrom(100, 10_000),
    default: "1000",
    meaning:
      "added to the budget's minute: half bounds how long after its slot a request may leave, half covers its way to the upstream",
  },
  {
    name: "MAX_BODY_BYTES",
    value: integerFrom(256, 1_048_576),
    default: "16384",
    meaning: "largest accepted HTTP body (413 above)",
  },
  {
    name: "EXPIRY_AFTER",
    value: DURATION,
    default: "24h",
    meaning: "sweep: age after which a SUBMITTED intent is cancelled",
  },
  {
    name: "SWEEP_CONCURRENCY",
    value: integerFrom(1, 64),
    default: "8",
    meaning: "sweep: cancels in flight at once",
  },
  {
    name: "SWEEP_PAGE_SIZE",
    value: integerFrom(1, 100),
    default: "100",
    meaning: "sweep: intents listed per page",
  },
  {
    name: "DRY_RUN",
    value: { type: "boolean" },
    default: "false",
    meaning: "sweep: report what would be cancelled, cancel nothing (the continuation is not affected)",
  },
  {
    name: "CONTINUATION_FIRST_CHECK",
    value: DURATION,
    default: "30s",
    meaning: "continuation: first look at a cancellation, and the base of its per-cancellation backoff",
  },
  {
    name: "CONTINUATION_MAX_BACKOFF",
    value: DURATION,
    default: "15m",
    meaning:
      "continuation: the longest wait between two looks (and the pace at which STUCK ones are looked at)",
  },
  {
    name: "STUCK_AFTER",
    value: DURATION,
    default: "24h",
    meaning: "continuation: a cancellation still open this long after it was requested is STUCK",
  },
  {
    name: "CONTINUATION_CONCURRENCY",
    value: integerFrom(1, 64),
    default: "4",
    meaning: "continuation: cancellations advanced at once",
  },
  {
    name: "CONTINUATION_PAGE_SIZE",
    value: integerFrom(1, 1000),
    default: "50",
    meaning: "continuation: due cancellations read per page",
  },
  {
    name: "LOG_LEVEL",
    value: TEXT,
    whenUnset: "set by infra: `INFO` in production, `DEBUG` elsewhere",
    meaning: "Powertools log level",
    readBy: "Powertools",
  },
  {
    name: "POWERTOOLS_SERVICE_NAME",
    value: TEXT,
    whenUnset: "set by infra: `cancellation-service`",
    meaning: "the `service` of every log line and metric",
    readBy: "Powertools",
  },
  {
    name: "POWERTOOLS_METRICS_NAMESPACE",
    value: TEXT,
    whenUnset: "set by infra: `CancellationService`",
    meaning: "the CloudWatch namespace of the metrics (the alarms and the dashboard read it)",
    readBy: "Powertools",
  },
];

/** The outbox relay's variables, as {@link readRelayConfig} reads them: it only publishes (no table, no secret). */
export const RELAY_VARIABLES: readonly ConfigVariable[] = [
  {
    name: "EVENT_BUS_NAME",
    value: TEXT,
    whenUnset: "required",
    meaning: "EventBridge bus the outcome events go to",
  },
  { name: "EVENTBRIDGE_ENDPOINT", value: TEXT, whenUnset: "local runs only", meaning: "the local bus" },
  {
    name: "EVENTBRIDGE_TIMEOUT_MS",
    value: integerFrom(100, 60_000),
    default: "3000",
    meaning: "per-request timeout of a PutEvents call",
  },
];

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `24h`, `2d`, `500ms`, or a bare number of milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match?.[1]) return undefined;
  return Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1);
};

/** Reads variables, collecting every problem (named, never with its value) instead of stopping at the first. */
const envReader = (env: Record<string, string | undefined>, problems: string[]) => ({
  required: (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is missing`);
    return value ?? "";
  },
  integer: (name: string, fallback: number, min: number, max: number, whyMax?: string): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      const why = whyMax !== undefined && value > max ? ` (a larger limit is ${whyMax})` : "";
      problems.push(`${name} must be an integer from ${min} to ${max}${why}`);
    }
    return value;
  },
  fraction: (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || value > 1) {
      problems.push(`${name} must be a number greater than 0 and at most 1`);
    }
    return value;
  },
  boolean: (name: string): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
    if (raw === "true" || raw === "1") return true;
    problems.push(`${name} must be true or false`);
    return false;
  },
  duration: (name: string, fallback: string): number => {
    const value = parseDuration(env[name]?.trim() || fallback);
    if (value === undefined || value <= 0) {
      problems.push(`${name} must be a positive duration such as 24h, 90m, 30s or 2d`);
      return 0;
    }
    return value;
  },
});

/** Reads and validates the configuration; throws one error naming every problem. */
export const readConfig = (env: Record<string, string | undefined>): ServiceConfig => {
  const problems: string[] = [];
  const reader = envReader(env, problems);
  const { required, integer, fraction, boolean, duration } = reader;

  const url = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
      problems.push(`${name} must be an http(s) URL`);
    }
    return raw;
  };

  const secretsFile = env.SECRETS_FILE?.trim();
  const secrets: ServiceConfig["secrets"] = secretsFile
    ? { source: "file", path: secretsFile }
    : {
        source: "secrets-manager",
        // A secret a function's code never reads is not given to it (its manifest entry grants
        // it none): only functions that cancel charges read A55's, only the HTTP function
        // authenticates callers. Asking for one not given fails naming its variable.
        upstreams: {
          ...upstreamSecretArns(UPSTREAM_REGISTRY, env),
          [CALLED_BY_EVERY_FUNCTION]: required(SECRET_VARIABLES[CALLED_BY_EVERY_FUNCTION]),
        },
        clients: env[SECRET_VARIABLES.clients]?.trim() || undefined,
      };
  const expiryAfterMs = parseDuration(env.EXPIRY_AFTER ?? "24h");
  if (expiryAfterMs === undefined) problems.push("EXPIRY_AFTER must be a duration such as 24h, 90m or 2d");

  const config: ServiceConfig = {
    idempotencyTable: required(TABLE_VARIABLES.idempotency),
    auditTable: required(TABLE_VARIABLES.audit),
    secrets,
    secretsTtlMs: integer("SECRETS_TTL_SECONDS", 300, 0, 86_400) * 1000,
    cancelRequestedQueueUrl: url(queueUrlVariable("CancelRequestedQueue")),
    cancelRequestedFailuresUrl: url(queueUrlVariable("CancelRequestedFailures")),
    dynamoDbEndpoint: env.DYNAMODB_ENDPOINT?.trim() || undefined,
    eventBridgeEndpoint: env.EVENTBRIDGE_ENDPOINT?.trim() || undefined,
    sqsEndpoint: url("SQS_ENDPOINT"),
    upstreamTimeoutMs: integer("UPSTREAM_TIMEOUT_MS", 5_000, 100, 60_000),
    upstreamMaxAttempts: integer("UPSTREAM_MAX_ATTEMPTS", 4, 1, 10),
    budget: {
      perMinute: upstreamBudgets(UPSTREAM_REGISTRY, reader, MAX_BUDGET_PER_MINUTE, BUDGET_CEILING_WHY),
      backgroundShare: fraction("BACKGROUND_BUDGET_SHARE", DEFAULT_BACKGROUND_BUDGET_SHARE),
      marginMs: integer("UPSTREAM_BUDGET_MARGIN_MS", 1_000, 100, 10_000),
    },
    maxBodyBytes: integer("MAX_BODY_BYTES", 16_384, 256, 1_048_576),
    sweep: {
      expiryAfterMs: expiryAfterMs ?? 0,
      concurrency: integer("SWEEP_CONCURRENCY", 8, 1, 64),
      pageSize: integer("SWEEP_PAGE_SIZE", 100, 1, 100),
      dryRun: boolean("DRY_RUN"),
    },
    lifecycle: {
      firstCheckAfterMs: duration("CONTINUATION_FIRST_CHECK", "30s"),
      maxBackoffMs: duration("CONTINUATION_MAX_BACKOFF", "15m"),
      stuckAfterMs: duration("STUCK_AFTER", "24h"),
      orphanGraceMs: 5_000,
    },
    continuation: {
      concurrency: integer("CONTINUATION_CONCURRENCY", 4, 1, 64),
      pageSize: integer("CONTINUATION_PAGE_SIZE", 50, 1, 1000),
    },
  };
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid configuration: ${problems.join("; ")}`);
  }
  return config;
};

/**
 * The upstream part of the configuration for a registry of its own (a test's upstream that
 * the service's registry does not hold), by the same variables and rules as `readConfig`.
 */
export const readUpstreamConfig = <N extends string>(
  env: Record<string, string | undefined>,
  registry: UpstreamRegistryOf<N>,
): { secretArns: Partial<Record<N, string>>; perMinute: Record<N, number> } => {
  const problems: string[] = [];
  const config = {
    secretArns: upstreamSecretArns(registry, env),
    perMinute: upstreamBudgets(registry, envReader(env, problems), MAX_BUDGET_PER_MINUTE, BUDGET_CEILING_WHY),
  };
  if (problems.length > 0) throw new ConfigurationError(`Invalid configuration: ${problems.join("; ")}`);
  return config;
};

/**
 * The outbox relay's configuration ({@link RELAY_VARIABLES}): it only publishes, so it needs
 * the bus and nothing else (no table, no secret). Same rules as {@link readConfig}.
 */
export interface RelayConfig {
  eventBusName: string;
  eventBridgeEndpoint: string | undefined;
  eventBridgeTimeoutMs: number;
}

export const readRelayConfig = (env: Record<string, string | undefined>): RelayConfig => {
  const problems: string[] = [];
  const { required, integer } = envReader(env, problems);
  const config: RelayConfig = {
    eventBusName: required(BUS_VARIABLE),
    eventBridgeEndpoint: env.EVENTBRIDGE_ENDPOINT?.trim() || undefined,
    eventBridgeTimeoutMs: integer("EVENTBRIDGE_TIMEOUT_MS", 3_000, 100, 60_000),
  };
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid relay configuration: ${problems.join("; ")}`);
  }
  return config;
};

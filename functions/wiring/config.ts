/**
 * The service's configuration, read from the environment once per container and
 * validated at start: a missing or malformed variable stops the container with an error
 * that names every such variable (never its value).
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | IDEMPOTENCY_TABLE | (required) | DynamoDB table of idempotency keys and pending cancels |
 * | AUDIT_TABLE | (required) | DynamoDB audit table |
 * | EVENT_BUS_NAME | (required) | EventBridge bus for outcome events |
 * | PROCURE_CORE_SECRET_ARN, A55_SECRET_ARN | (required unless SECRETS_FILE) | Secrets Manager ids |
 * | CLIENTS_SECRET_ARN | (HTTP API only) | inbound callers' credentials; only the HTTP function may read them |
 * | SECRETS_FILE | — | local runs: one JSON file holding the three secrets by name |
 * | SECRETS_TTL_SECONDS | 300 | per-container cache of secrets |
 * | CANCEL_REQUESTED_QUEUE_URL | (bus function only) | the `Cancel Requested` work queue, where rate-limited requests are put back for later |
 * | DYNAMODB_ENDPOINT, EVENTBRIDGE_ENDPOINT, SQS_ENDPOINT | — | local runs: endpoints of DynamoDB Local, the local bus and the local queues |
 * | UPSTREAM_TIMEOUT_MS | 5000 | per-attempt timeout of an upstream call |
 * | UPSTREAM_MAX_ATTEMPTS | 4 | attempts per upstream call, the first included |
 * | A55_BUDGET_PER_MINUTE | 100 | shared budget: A55 requests per minute (A55's documented limit per client) |
 * | PROCURE_CORE_BUDGET_PER_MINUTE | 300 | shared budget: Procure-Core requests per minute (it publishes no limit) |
 * | BACKGROUND_BUDGET_SHARE | 0.6 | shared budget: share of each limit bus, sweep and continuation work may use |
 * | UPSTREAM_BUDGET_MARGIN_MS | 1000 | shared budget: added to the minute (a request's way to the upstream, clock differences) |
 * | MAX_BODY_BYTES | 16384 | largest accepted HTTP body |
 * | EXPIRY_AFTER | 24h | sweep: age after which a SUBMITTED intent is cancelled (`90m`, `24h`, `2d`, or ms) |
 * | SWEEP_CONCURRENCY | 8 | sweep: cancels in flight at once |
 * | SWEEP_PAGE_SIZE | 100 | sweep: intents listed per page |
 * | DRY_RUN | false | sweep: report what would be cancelled, cancel nothing |
 * | CONTINUATION_FIRST_CHECK | 30s | continuation: first look at an asynchronous cancel, and the backoff's base |
 * | CONTINUATION_MAX_BACKOFF | 15m | continuation: longest wait between two looks (and the pace of STUCK ones) |
 * | STUCK_AFTER | 24h | continuation: a cancellation still open this long after it was requested is STUCK |
 * | CONTINUATION_CONCURRENCY | 4 | continuation: cancellations advanced at once |
 * | CONTINUATION_PAGE_SIZE | 50 | continuation: due cancellations read per page |
 * | LOG_LEVEL | INFO | Powertools log level |
 *
 * Each upstream's variables are named after it by the upstream registry
 * (functions/adapters/upstreams/upstream-registry.ts): `<UPSTREAM>_SECRET_ARN`, and
 * `<UPSTREAM>_BUDGET_PER_MINUTE` defaulting to its entry's `budgetPerMinute`; the rows
 * above name today's two upstreams.
 */
import { secretNamingOf, UPSTREAM_REGISTRY } from "#adapters/upstreams/upstream-registry.ts";
import type { LifecyclePolicy } from "#core/cancellation.ts";
import { ConfigurationError, type UpstreamName } from "#core/errors.ts";
import { type UpstreamRegistryOf, upstreamBudgets, upstreamSecretArns } from "./upstream-config.ts";

export interface ServiceConfig {
  idempotencyTable: string;
  auditTable: string;
  eventBusName: string;
  secrets:
    | { source: "secrets-manager"; upstreams: Record<UpstreamName, string>; clients: string | undefined }
    | { source: "file"; path: string };
  secretsTtlMs: number;
  /** The bus function's own work queue (only that function is given it). */
  cancelRequestedQueueUrl: string | undefined;
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
 * The largest budget one DynamoDB item sustains (ADR 0003; docs/capacity.md). The ring item
 * holds 2 times per request of the window and every take rewrites it whole; measured
 * (`npm run bench -- --only capacity`): 1,896 B at 100 a minute, 5,462 B at 300, 17,843 B
 * at 1,000, so 18 write units a take at 1,000 (about 124 + 17.7 × L bytes). One item is one
 * partition: 1,000 write units a second. Used to the full, a limit of L takes L / 60 slots a
 * second, and under contention a take costs 1.75 writes (16 containers, bench suite 7): at
 * 1,000 that is 16.7 × 1.75 × 18 = 525 units a second, about half the partition, the other
 * half left for refused takes (a refused conditional write still costs the item's size) and
 * bursts. The item would saturate near 1,390 a minute with that contention and 1,840 without
 * any; the former ceiling, 10,000, costs 174 units a take and 29,000 a second used in full.
 */
export const MAX_BUDGET_PER_MINUTE = 1_000;

/** Why a budget limit over {@link MAX_BUDGET_PER_MINUTE} is refused, for the start-up error. */
const BUDGET_CEILING_WHY = "more than one DynamoDB budget item sustains: docs/capacity.md";

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

/**
 * The upstream part of the configuration for a registry of its own (a test's upstream that
 * the service's registry does not hold), by the same variables and rules as `readConfig`.
 */
export const readUpstreamConfig = <N extends string>(
  env: Record<string, string | undefined>,
  registry: UpstreamRegistryOf<N>,
): { secretArns: Record<N, string>; perMinute: Record<N, number> } => {
  const problems: string[] = [];
  const reader = envReader(env, problems);
  const config = {
    secretArns: upstreamSecretArns(registry, reader),
    perMinute: upstreamBudgets(registry, reader, MAX_BUDGET_PER_MINUTE, BUDGET_CEILING_WHY),
  };
  if (problems.length > 0) throw new ConfigurationError(`Invalid configuration: ${problems.join("; ")}`);
  return config;
};

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
        upstreams: upstreamSecretArns(UPSTREAM_REGISTRY, reader),
        // Only the HTTP function authenticates callers; the others are not given this secret.
        clients: env[secretNamingOf("clients").arnVariable]?.trim() || undefined,
      };
  const expiryAfterMs = parseDuration(env.EXPIRY_AFTER ?? "24h");
  if (expiryAfterMs === undefined) problems.push("EXPIRY_AFTER must be a duration such as 24h, 90m or 2d");

  const config: ServiceConfig = {
    idempotencyTable: required("IDEMPOTENCY_TABLE"),
    auditTable: required("AUDIT_TABLE"),
    eventBusName: required("EVENT_BUS_NAME"),
    secrets,
    secretsTtlMs: integer("SECRETS_TTL_SECONDS", 300, 0, 86_400) * 1000,
    cancelRequestedQueueUrl: url("CANCEL_REQUESTED_QUEUE_URL"),
    dynamoDbEndpoint: env.DYNAMODB_ENDPOINT?.trim() || undefined,
    eventBridgeEndpoint: env.EVENTBRIDGE_ENDPOINT?.trim() || undefined,
    sqsEndpoint: url("SQS_ENDPOINT"),
    upstreamTimeoutMs: integer("UPSTREAM_TIMEOUT_MS", 5_000, 100, 60_000),
    upstreamMaxAttempts: integer("UPSTREAM_MAX_ATTEMPTS", 4, 1, 10),
    budget: {
      perMinute: upstreamBudgets(UPSTREAM_REGISTRY, reader, MAX_BUDGET_PER_MINUTE, BUDGET_CEILING_WHY),
      backgroundShare: fraction("BACKGROUND_BUDGET_SHARE", 0.6),
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
 * The outbox relay's configuration: it only publishes, so it needs the bus and nothing
 * else (no table, no secret). Same rules as {@link readConfig}.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | EVENT_BUS_NAME | (required) | EventBridge bus the outcome events go to |
 * | EVENTBRIDGE_ENDPOINT | — | local runs: the local bus |
 * | EVENTBRIDGE_TIMEOUT_MS | 3000 | per-request timeout of a PutEvents call |
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
    eventBusName: required("EVENT_BUS_NAME"),
    eventBridgeEndpoint: env.EVENTBRIDGE_ENDPOINT?.trim() || undefined,
    eventBridgeTimeoutMs: integer("EVENTBRIDGE_TIMEOUT_MS", 3_000, 100, 60_000),
  };
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid relay configuration: ${problems.join("; ")}`);
  }
  return config;
};

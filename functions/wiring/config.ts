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
 * Every variable is documented once, as data, in config-variables.ts (docs/configuration.md
 * is generated from it); env-reader.ts reads and checks each kind of value.
 */
import { UPSTREAM_REGISTRY } from "#adapters/upstreams/upstream-registry.ts";
import type { LifecyclePolicy } from "#core/cancellation.ts";
import { ConfigurationError, type UpstreamName } from "#core/errors.ts";
import {
  BUS_VARIABLE,
  queueUrlVariable,
  SECRET_VARIABLES,
  TABLE_VARIABLES,
} from "#manifest/function-resources.ts";
import { envReader, parseDuration } from "./env-reader.ts";
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
export const CALLED_BY_EVERY_FUNCTION: UpstreamName = "procure-core";

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

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
 * | MAX_BODY_BYTES | 16384 | largest accepted HTTP body |
 * | EXPIRY_AFTER | 24h | sweep: age after which a SUBMITTED intent is cancelled (`90m`, `24h`, `2d`, or ms) |
 * | SWEEP_CONCURRENCY | 8 | sweep: cancels in flight at once |
 * | SWEEP_MAX_RPM | 90 | sweep: most Procure-Core requests per minute |
 * | SWEEP_PAGE_SIZE | 100 | sweep: intents listed per page |
 * | DRY_RUN | false | sweep: report what would be cancelled, cancel nothing |
 * | LOG_LEVEL | INFO | Powertools log level |
 */
import { ConfigurationError } from "#core/errors.ts";

export interface ServiceConfig {
  idempotencyTable: string;
  auditTable: string;
  eventBusName: string;
  secrets:
    | { source: "secrets-manager"; procureCore: string; a55: string; clients: string | undefined }
    | { source: "file"; path: string };
  secretsTtlMs: number;
  /** The bus function's own work queue (only that function is given it). */
  cancelRequestedQueueUrl: string | undefined;
  dynamoDbEndpoint: string | undefined;
  eventBridgeEndpoint: string | undefined;
  sqsEndpoint: string | undefined;
  upstreamTimeoutMs: number;
  upstreamMaxAttempts: number;
  maxBodyBytes: number;
  sweep: {
    expiryAfterMs: number;
    concurrency: number;
    maxRequestsPerMinute: number;
    pageSize: number;
    dryRun: boolean;
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `24h`, `2d`, `500ms`, or a bare number of milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match?.[1]) return undefined;
  return Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1);
};

/** Reads and validates the configuration; throws one error naming every problem. */
export const readConfig = (env: Record<string, string | undefined>): ServiceConfig => {
  const problems: string[] = [];
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is missing`);
    return value ?? "";
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  };
  const boolean = (name: string): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
    if (raw === "true" || raw === "1") return true;
    problems.push(`${name} must be true or false`);
    return false;
  };

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
        procureCore: required("PROCURE_CORE_SECRET_ARN"),
        a55: required("A55_SECRET_ARN"),
        // Only the HTTP function authenticates callers; the others are not given this secret.
        clients: env.CLIENTS_SECRET_ARN?.trim() || undefined,
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
    maxBodyBytes: integer("MAX_BODY_BYTES", 16_384, 256, 1_048_576),
    sweep: {
      expiryAfterMs: expiryAfterMs ?? 0,
      concurrency: integer("SWEEP_CONCURRENCY", 8, 1, 64),
      maxRequestsPerMinute: integer("SWEEP_MAX_RPM", 90, 1, 100_000),
      pageSize: integer("SWEEP_PAGE_SIZE", 100, 1, 100),
      dryRun: boolean("DRY_RUN"),
    },
  };
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid configuration: ${problems.join("; ")}`);
  }
  return config;
};

/**
 * Every variable of the service's configuration, listed once, as data: docs/configuration.md
 * is generated from {@link SERVICE_VARIABLES} and {@link RELAY_VARIABLES} (`npm run
 * docs:config`), and test/unit/docs/configuration-doc.test.ts checks them against the readers
 * of config.ts (each listed variable is read and each read one listed; its documented default
 * changes nothing; its documented range is the one enforced) and the committed page against them.
 */
import {
  budgetVariableOf,
  SECRET_NAMES,
  secretNamingOf,
  UPSTREAM_NAMES,
  UPSTREAM_REGISTRY,
} from "#adapters/upstreams/upstream-registry.ts";
import { CALLED_BY_EVERY_FUNCTION, MAX_BUDGET_PER_MINUTE } from "./config.ts";

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

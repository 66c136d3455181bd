/**
 * The service's functions, one entry each, as data: handler, trigger and its settings,
 * memory, timeout, concurrency, own settings, and what its code may call. One table that
 * infra/ deploys (infra/functions.ts), `npm start` runs (local/start.ts), the infra check
 * asserts (test/infra/graph.check.ts) and every integration test runs under
 * (test/support/role-guard.ts: a call the role does not allow fails as AccessDenied).
 *
 * Adding a function is adding an entry here and its handler (docs/adding-a-function.md).
 * Why the queue and stream settings are what they are: docs/decisions/0002-outbox-relay.md
 * and docs/decisions/0004-bus-buffering.md.
 */
import { AUDIT_BY_DAY_INDEX, CANCELLATIONS_DUE_INDEX } from "../adapters/dynamo/table-definitions.ts";
import type {
  Action,
  DynamoAction,
  FunctionDefinition,
  Permission,
  SecretName,
  TableName,
} from "./manifest-types.ts";
import { CANCEL_REQUESTED_MAX_RECEIVES } from "./work-queue-receives.ts";

const table = (name: TableName, actions: DynamoAction[], why: string): Permission => ({
  actions: actions.map((action): Action => `dynamodb:${action}`),
  resource: { kind: "table", table: name },
  why,
});
const query = (name: TableName, index: string, why: string): Permission => ({
  actions: ["dynamodb:Query"],
  resource: { kind: "index", table: name, index },
  why,
});
const secrets = (...names: SecretName[]): Permission[] =>
  names.map((secret) => ({
    actions: ["secretsmanager:GetSecretValue"],
    resource: { kind: "secret", secret },
    why: `the ${secret} credentials (cached per container)`,
  }));

/** What every function that cancels does in the idempotency table. */
const KEYS_AND_CANCELLATIONS =
  "keys taken (PutItem), completed or released (UpdateItem, in a TransactWriteItems with the cancellation's PutItem); " +
  "a resumed key reads its cancellation (GetItem); the budget ring's take (UpdateItem) and rewrite (PutItem)";
const AUDIT_APPEND = "audit records appended (PutItem, alone or in the transaction of a transition)";

const HTTP_API = {
  name: "HttpApi",
  handler: "functions/handlers/http-api.handler",
  description:
    "HTTP API: intent, charge and order cancels; order cancellation status; audit trail, daily report and open cancellation reads",
  memoryMb: 512,
  timeoutSeconds: 10,
  concurrency: 4,
  composition: "service",
  trigger: { kind: "http" },
  settings: {},
  permissions: [
    table("idempotency", ["PutItem", "UpdateItem", "GetItem"], KEYS_AND_CANCELLATIONS),
    query("idempotency", CANCELLATIONS_DUE_INDEX, "GET /api/v1/cancellations: the open cancellations"),
    table(
      "idempotency",
      ["BatchWriteItem", "Query"],
      "bulk cancellations: a submission's manifest chunks (BatchWriteItem, before its job's PutItem); a job's manifest and item results (Query)",
    ),
    table("audit", ["PutItem", "Query"], `${AUDIT_APPEND}; one target's trail (Query)`),
    query("audit", AUDIT_BY_DAY_INDEX, "GET /api/v1/reports/daily/{day}: a day's records"),
    ...secrets("procure-core", "a55", "clients"),
  ],
} as const satisfies FunctionDefinition;

const CANCEL_REQUESTED = {
  name: "CancelRequested",
  handler: "functions/handlers/cancel-requested.handler",
  description: "Drains the Cancel Requested queue: cancels, and puts rate-limited requests back for later",
  memoryMb: 512,
  timeoutSeconds: 60,
  concurrency: 5,
  composition: "service",
  trigger: {
    kind: "work-queue",
    detailType: "Cancel Requested",
    delivery: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 },
    // AWS's guidance for a queue feeding a Lambda event source mapping: at least six times the
    // function's timeout, so a message is not delivered again while an invocation still holds it.
    visibilityTimeoutSeconds: 6 * 60,
    maxReceiveCount: CANCEL_REQUESTED_MAX_RECEIVES,
    mapping: { batchSize: 10, maximumBatchingWindowSeconds: 0, maximumConcurrency: 5 },
  },
  settings: {},
  permissions: [
    table("idempotency", ["PutItem", "UpdateItem", "GetItem"], KEYS_AND_CANCELLATIONS),
    table("audit", ["PutItem"], AUDIT_APPEND),
    {
      actions: ["sqs:SendMessage"],
      resource: { kind: "queue", queue: "CancelRequestedQueue" },
      why: "a rate-limited request is put back on its own queue with a delay",
    },
    {
      actions: ["sqs:SendMessage"],
      resource: { kind: "queue", queue: "CancelRequestedFailures" },
      why: "a message failing on its last receive is dead-lettered by the function, with its error (SQS's redrive keeps none)",
    },
    ...secrets("procure-core", "a55"),
  ],
} as const satisfies FunctionDefinition;

const EXPIRY_SWEEP = {
  name: "ExpirySweep",
  handler: "functions/handlers/expiry-sweep.handler",
  description: "Cancels SUBMITTED intents older than EXPIRY_AFTER",
  memoryMb: 1024,
  // The sweep's time budget is read from the invocation's remaining time: this is its ceiling.
  timeoutSeconds: 300,
  concurrency: 1,
  composition: "service",
  trigger: {
    kind: "schedule",
    schedule: "rate(15 minutes)",
    retries: 2,
    maxEventAgeSeconds: 900,
    localRoute: "/sweep",
  },
  settings: { EXPIRY_AFTER: "24h", SWEEP_CONCURRENCY: "8" },
  permissions: [
    // GetItem: a `sweep:<id>` key a failed run released is resumed by the next run, which reads
    // its cancellation first (run-once.ts); without it that run fails whole (defect 3, issue 17).
    table("idempotency", ["PutItem", "UpdateItem", "GetItem"], KEYS_AND_CANCELLATIONS),
    table("audit", ["PutItem"], AUDIT_APPEND),
    // Intents only: the sweep never calls A55, so it may not read A55's credentials.
    ...secrets("procure-core"),
  ],
} as const satisfies FunctionDefinition;

const CONTINUATION = {
  name: "Continuation",
  handler: "functions/handlers/continuation.handler",
  description:
    "Finishes open cancellations (pending intents, due charges, orphaned orders) and drives bulk cancellation jobs",
  memoryMb: 512,
  // Shorter than the schedule's period: one run is over before the next starts.
  timeoutSeconds: 50,
  concurrency: 1,
  composition: "service",
  trigger: {
    kind: "schedule",
    schedule: "rate(1 minute)",
    retries: 2,
    maxEventAgeSeconds: 60,
    localRoute: "/continuation",
  },
  settings: { STUCK_AFTER: "24h" },
  permissions: [
    // GetItem: a single cancel whose attempt never completed is taken over as its own resumed
    // retry, which reads its cancellation first (run-once.ts, abandoned-attempts.ts; defect 4, issue 17).
    table(
      "idempotency",
      ["PutItem", "UpdateItem", "GetItem"],
      "transitions (PutItem, in a TransactWriteItems with their audit records, and a bulk item's result with them: UpdateItem); taking over an abandoned attempt's key (PutItem, UpdateItem, GetItem, and its completion in a TransactWriteItems); the budget ring's take (UpdateItem) and rewrite (PutItem); a bulk job read (GetItem) and moved on (UpdateItem: transitions, checkpoints, an item finished by the reconciliation)",
    ),
    query(
      "idempotency",
      CANCELLATIONS_DUE_INDEX,
      "the due cancellations and the abandoned attempts, oldest first, and the open count; the due bulk jobs (their own BULK partition)",
    ),
    table(
      "idempotency",
      ["Query"],
      "the bulk driver: a job's manifest chunks for its fan-out, and its PENDING items for the reconciliation",
    ),
    table(
      "audit",
      ["PutItem"],
      `${AUDIT_APPEND}; a bulk job's transitions (its trail, and its end's announcement)`,
    ),
    {
      actions: ["sqs:SendMessage"],
      resource: { kind: "queue", queue: "CancelRequestedQueue" },
      why: "the bulk driver sends a job's items to the work queue (SendMessageBatch, ten a call)",
    },
    ...secrets("procure-core", "a55"),
  ],
} as const satisfies FunctionDefinition;

const OUTBOX_RELAY = {
  name: "OutboxRelay",
  handler: "functions/handlers/outbox-relay.handler",
  description: "Outbox relay: publishes the outcome events committed in the audit table to the bus",
  // Small, and long enough to wait out a short bus outage within one invocation.
  memoryMb: 256,
  timeoutSeconds: 60,
  concurrency: 1,
  composition: "relay",
  trigger: {
    kind: "dynamodb-stream",
    table: "audit",
    mapping: {
      // A new (or re-created) mapping starts at the oldest record the stream holds (24 h):
      // duplicates, which consumers drop by `eventId`, rather than skipped commits.
      startingPosition: "TRIM_HORIZON",
      // Records per invocation; each announcing one is one entry of a PutEvents call.
      batchSize: 100,
      // Invoke as soon as records are there: lag matters more than invocation count here.
      maximumBatchingWindowInSeconds: 0,
      // The relay reports the first failed record and those after it; the mapping retries from there.
      functionResponseTypes: ["ReportBatchItemFailures"],
      // A crash or timeout (not a reported failure) splits the batch, isolating its cause.
      bisectBatchOnFunctionError: true,
      // Each retry follows an invocation that kept trying the bus for up to ~50 s: 20 ride out
      // a bus outage of about a quarter of an hour; an unreadable record gets there quickly.
      maximumRetryAttempts: 20,
      // Older than an hour: to the failure queue, leaving 23 h of the stream's 24 h to replay it.
      maximumRecordAgeInSeconds: 3_600,
    },
  },
  settings: {},
  permissions: [
    {
      actions: ["events:PutEvents"],
      resource: { kind: "bus" },
      why: "publishes the committed outcome events; the only function that may put events on the bus",
    },
  ],
} as const satisfies FunctionDefinition;

/** Every function of the service, by logical name. */
export const FUNCTIONS = {
  HttpApi: HTTP_API,
  CancelRequested: CANCEL_REQUESTED,
  ExpirySweep: EXPIRY_SWEEP,
  Continuation: CONTINUATION,
  OutboxRelay: OUTBOX_RELAY,
} as const satisfies Record<string, FunctionDefinition>;

export type FunctionName = keyof typeof FUNCTIONS;

/** The entries in declaration order. */
export const FUNCTION_LIST: readonly FunctionDefinition[] = Object.values(FUNCTIONS);

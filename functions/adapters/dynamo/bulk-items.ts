/**
 * The DynamoDB layout of bulk jobs, in the idempotency table (the service's state table),
 * one item collection per job (`pk = BULK#<jobId>`):
 *
 * | sk | holds | written |
 * |---|---|---|
 * | `JOB` | the job (`record` JSON without its counters), `state`, `version`; `started`, `finished`, `o_<OUTCOME>`, `remaining` (runnable items not final), `inFlight` (started items not final) counters, and `countsInFlight` (true: `inFlight` was counted from the job's creation); `dueKey = BULK` + `nextCheckAt` while not final (index `byNextCheck`, its own partition: the continuation reads `DUE` only) | create, transitions, counters |
 * | `MANIFEST#<manifestId>#<chunk>` | up to 500 entries as JSON (≤ ~210 KB) | once, before the job |
 * | `ITEM#<index>` | `status`, `startedAt`, `finishedAt`, `via`, `outcome` (JSON summary, ≤ ~0.5 KB) | start, pending, result |
 *
 * A 10,000-line submission: 20 chunks in one BatchWriteItem (≤ 25 items a call), then one
 * TransactWriteItems (the job + its trail record): 2 round trips, ~0.5–4 MB written.
 * Every item of a job expires 90 days after its submission (TTL), the job once final.
 *
 * An item's result is one transaction (`finishWrites`) whose job update is refused exactly
 * when it is the last of a RUNNING job (`remaining` = 1) or the last in flight of a STOPPING
 * one (`inFlight` = 1): that writer reads the job and writes the result with the job's end
 * instead (`endingWrites`, guarded by the version and counters as read), so the write that
 * completes a job finishes it, once. Every write that moves `started` or `finished` moves
 * `inFlight` with it, so it is `started − finished` exactly. Jobs created before either
 * counter existed lack it (or its `countsInFlight`): their results never refuse for it, and
 * the driver ends them.
 */
import type { AttributeValue, TransactWriteItem, Update } from "@aws-sdk/client-dynamodb";
import type { JobEnd } from "#core/bulk-item-result.ts";
import type { BulkJob, FinalItemOutcome } from "#core/bulk-job.ts";
import type { BulkItemFinish, BulkItemResult, BulkJobAuditRecord } from "#core/bulk-ports.ts";
import { storeUnavailable } from "./dynamo-errors.ts";

export const BULK_DUE_PARTITION = "BULK";
/** How long a job and its items are kept after submission. */
export const BULK_RETENTION_SECONDS = 90 * 24 * 60 * 60;

export const bulkPartitionOf = (jobId: string): string => `BULK#${jobId}`;
/** A job's trail in the audit table, beside the targets' (`TARGET#<type>#<id>`). */
export const bulkTrailPartitionOf = (jobId: string): string => `TARGET#bulk#${jobId}`;
export const JOB_SORT_KEY = "JOB";
export const manifestSortKey = (manifestId: string, chunk: number): string =>
  `MANIFEST#${manifestId}#${String(chunk).padStart(4, "0")}`;
export const itemSortKey = (index: number): string => `ITEM#${String(index).padStart(5, "0")}`;

const COUNTERS = ["started", "finished", "outcomes"] as const;

export const expiresAtOf = (job: Pick<BulkJob, "createdAt">): string =>
  String(Math.floor(Date.parse(job.createdAt) / 1000) + BULK_RETENTION_SECONDS);

/** The job's record without its counters (items own those). */
const recordOf = (job: BulkJob): string => {
  const copy: Partial<BulkJob> = { ...job };
  for (const name of COUNTERS) delete copy[name];
  return JSON.stringify(copy);
};

export const outcomeCounter = (outcome: FinalItemOutcome): string => `o_${outcome}`;

export const toJobItem = (job: BulkJob): Record<string, AttributeValue> => ({
  pk: { S: bulkPartitionOf(job.id) },
  sk: { S: JOB_SORT_KEY },
  kind: { S: "bulk-job" },
  state: { S: job.state },
  version: { N: String(job.version) },
  record: { S: recordOf(job) },
  started: { N: "0" },
  finished: { N: "0" },
  remaining: { N: String(job.runnable) },
  inFlight: { N: "0" },
  countsInFlight: { BOOL: true },
  ...(job.nextCheckAt !== undefined && {
    dueKey: { S: BULK_DUE_PARTITION },
    nextCheckAt: { N: String(job.nextCheckAt) },
  }),
});

export const fromJobItem = (item: Record<string, AttributeValue>): BulkJob => {
  try {
    const json = item.record?.S;
    if (json === undefined) throw new TypeError("bulk job item has no record");
    const record = JSON.parse(json) as BulkJob;
    const outcomes: BulkJob["outcomes"] = {};
    for (const [name, value] of Object.entries(item)) {
      if (name.startsWith("o_") && value.N !== undefined) {
        outcomes[name.slice(2) as FinalItemOutcome] = Number(value.N);
      }
    }
    return {
      ...record,
      started: Number(item.started?.N ?? 0),
      finished: Number(item.finished?.N ?? 0),
      outcomes,
    };
  } catch (error) {
    throw storeUnavailable("bulk-jobs", "read of an unreadable bulk job item", error);
  }
};

/**
 * A transition's update: every field but the counters, conditional on the version (and the
 * counters as read, with a guard). Final: out of the due index, and an expiry.
 */
export const jobTransitionUpdate = (
  table: string,
  next: BulkJob,
  expectedVersion: number,
  guard: { started: number; finished: number } | undefined,
): Update => {
  const final = next.nextCheckAt === undefined;
  return {
    TableName: table,
    Key: { pk: { S: bulkPartitionOf(next.id) }, sk: { S: JOB_SORT_KEY } },
    UpdateExpression: final
      ? "SET #state = :state, #version = :next, #record = :record, #expiresAt = :expiresAt REMOVE #dueKey, #nextCheckAt"
      : "SET #state = :state, #version = :next, #record = :record, #dueKey = :due, #nextCheckAt = :nextCheckAt",
    ConditionExpression: `#version = :expected${guard ? " AND #started = :started AND #finished = :finished" : ""}`,
    ExpressionAttributeNames: {
      "#state": "state",
      "#version": "version",
      "#record": "record",
      "#dueKey": "dueKey",
      "#nextCheckAt": "nextCheckAt",
      ...(final && { "#expiresAt": "expiresAt" }),
      ...(guard && { "#started": "started", "#finished": "finished" }),
    },
    ExpressionAttributeValues: {
      ":state": { S: next.state },
      ":next": { N: String(next.version) },
      ":record": { S: recordOf(next) },
      ":expected": { N: String(expectedVersion) },
      ...(final
        ? { ":expiresAt": { N: expiresAtOf(next) } }
        : { ":due": { S: BULK_DUE_PARTITION }, ":nextCheckAt": { N: String(next.nextCheckAt) } }),
      ...(guard && { ":started": { N: String(guard.started) }, ":finished": { N: String(guard.finished) } }),
    },
  };
};

/**
 * A job's trail record in the audit table: its target's partition (`TARGET#bulk#<jobId>`),
 * not the day index (the daily report counts cancels, not jobs); on the stream, so the
 * outbox relay publishes the one that carries `event`.
 */
export const bulkAuditPut = (table: string, record: BulkJobAuditRecord): TransactWriteItem => ({
  Put: {
    TableName: table,
    Item: {
      pk: { S: bulkTrailPartitionOf(record.jobId) },
      sk: { S: `${record.at}#${record.id}` },
      at: { S: record.at },
      kind: { S: "bulk-job" },
      record: { S: JSON.stringify(record) },
    },
    ConditionExpression: "attribute_not_exists(pk)",
  },
});

/** The item's own write of its final result: only from RUNNING or PENDING. */
const resultUpdate = (table: string, finish: BulkItemFinish): TransactWriteItem => ({
  Update: {
    TableName: table,
    Key: { pk: { S: bulkPartitionOf(finish.jobId) }, sk: { S: itemSortKey(finish.index) } },
    UpdateExpression: "SET #status = :outcome, #finishedAt = :at, #via = :via, #outcome = :summary",
    ConditionExpression: "#status IN (:running, :pending)",
    ExpressionAttributeNames: {
      "#status": "status",
      "#finishedAt": "finishedAt",
      "#via": "via",
      "#outcome": "outcome",
    },
    ExpressionAttributeValues: {
      ":outcome": { S: finish.outcome },
      ":at": { S: finish.at },
      ":via": { S: finish.via },
      ":summary": { S: JSON.stringify(finish.summary) },
      ":running": { S: "RUNNING" },
      ":pending": { S: "PENDING" },
    },
  },
});

const COUNT_RESULT = "ADD #finished :one, #counter :one, #remaining :minusOne, #inFlight :minusOne";
const countNames = (outcome: FinalItemOutcome) => ({
  "#finished": "finished",
  "#counter": outcomeCounter(outcome),
  "#remaining": "remaining",
  "#inFlight": "inFlight",
});
const countValues = { ":one": { N: "1" }, ":minusOne": { N: "-1" } };

/** This result is its job's last: of a RUNNING job's runnable items, or of a STOPPING job's started ones. */
const LAST_RESULT =
  "(#state = :running AND #remaining = :one) OR (#state = :stopping AND #inFlight = :one AND #countsInFlight = :counted)";

/**
 * The two writes of an item's final result: the item (only from RUNNING or PENDING) and the
 * job's counters, refused when this is the job's last result (`LAST_RESULT`: the writer ends
 * the job with it, `endingWrites`). Refusals by position: 0 the item, 1 the job.
 */
export const finishWrites = (table: string, finish: BulkItemFinish): TransactWriteItem[] => [
  resultUpdate(table, finish),
  {
    Update: {
      TableName: table,
      Key: { pk: { S: bulkPartitionOf(finish.jobId) }, sk: { S: JOB_SORT_KEY } },
      UpdateExpression: COUNT_RESULT,
      ConditionExpression: `NOT (${LAST_RESULT})`,
      ExpressionAttributeNames: {
        ...countNames(finish.outcome),
        "#state": "state",
        "#countsInFlight": "countsInFlight",
      },
      ExpressionAttributeValues: {
        ...countValues,
        ":running": { S: "RUNNING" },
        ":stopping": { S: "STOPPING" },
        ":counted": { BOOL: true },
      },
    },
  },
];

/**
 * The last result of a job with the job's end (core/bulk-item-result.ts `jobEndWith`): the
 * item, the job's transition to DONE or STOPPED with the counters moved (conditional on the version and
 * the counters as read), and the announcing trail record. Refusals by position as `finishWrites`'.
 */
export const endingWrites = (
  table: string,
  auditTable: string,
  finish: BulkItemFinish,
  end: JobEnd,
): TransactWriteItem[] => {
  const { next, expectedVersion, guard } = end.transition;
  if (expectedVersion === null) throw new TypeError("a job's end is a transition of an existing job");
  const transition = jobTransitionUpdate(table, next, expectedVersion, guard);
  return [
    resultUpdate(table, finish),
    {
      Update: {
        ...transition,
        UpdateExpression: `${transition.UpdateExpression} ${COUNT_RESULT}`,
        ExpressionAttributeNames: { ...transition.ExpressionAttributeNames, ...countNames(finish.outcome) },
        ExpressionAttributeValues: { ...transition.ExpressionAttributeValues, ...countValues },
      },
    },
    bulkAuditPut(auditTable, end.audit),
  ];
};

export const fromResultItem = (item: Record<string, AttributeValue>): BulkItemResult => {
  const sk = item.sk?.S ?? "";
  const outcome = item.outcome?.S;
  return {
    index: Number(sk.slice("ITEM#".length)),
    status: (item.status?.S ?? "RUNNING") as BulkItemResult["status"],
    startedAt: item.startedAt?.S ?? "",
    ...(item.finishedAt?.S !== undefined && { finishedAt: item.finishedAt.S }),
    ...(outcome !== undefined && { outcome: JSON.parse(outcome) }),
    ...(item.via?.S !== undefined && { via: item.via.S as BulkItemResult["via"] }),
  };
};

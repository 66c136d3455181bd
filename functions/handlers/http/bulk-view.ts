/**
 * How a bulk job and its items are answered: the job's state, counts, progress and
 * estimate; one page of items (with an opaque cursor, fully checked before it is used);
 * the whole report as CSV.
 */
import { type BulkJob, countsOf } from "#core/bulk-job.ts";
import { secondsLeft } from "#core/bulk-pace.ts";
import type { BulkBudget } from "#core/bulk-ports.ts";
import type { ItemRow } from "#core/bulk-results.ts";
import { HttpProblem } from "./http-problem.ts";

export const bulkJobPath = (jobId: string): string => `/api/v1/bulk-cancellations/${jobId}`;

export const bulkJobView = (job: BulkJob, budget: BulkBudget) => {
  const counts = countsOf(job);
  const left = secondsLeft(job, budget);
  return {
    id: job.id,
    state: job.state,
    ...(job.reason !== undefined && { reason: job.reason }),
    total: job.total,
    counts: counts.byOutcome,
    progress: { done: counts.done, pending: counts.pending, queued: counts.queued, total: counts.total },
    createdAt: job.createdAt,
    ...(job.startedAt !== undefined && { startedAt: job.startedAt }),
    updatedAt: job.updatedAt,
    ...(job.stopRequestedAt !== undefined && { stopRequestedAt: job.stopRequestedAt }),
    ...(job.finishedAt !== undefined && { finishedAt: job.finishedAt }),
    ...(left !== undefined && { estimatedSecondsLeft: left }),
    links: {
      self: bulkJobPath(job.id),
      items: `${bulkJobPath(job.id)}/items`,
      stop: `${bulkJobPath(job.id)}/stop`,
    },
  };
};

/** `{ "i": <index> }`, base64url: where the next page starts. */
export const encodeItemsCursor = (index: number): string =>
  Buffer.from(JSON.stringify({ i: index }), "utf8").toString("base64url");

/** The index a cursor names, checked whole (shape, type, range) before any read. */
export const decodeItemsCursor = (cursor: string, job: Pick<BulkJob, "total">): number => {
  const invalid = () =>
    new HttpProblem("validation", "cursor is not one this listing returned", { field: "cursor" });
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (typeof value !== "object" || value === null || Object.keys(value).join() !== "i") throw invalid();
  const index = (value as { i: unknown }).i;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= job.total)
    throw invalid();
  return index;
};

const targetCells = (row: ItemRow): string[] => {
  const t = row.target;
  if (!t) return ["", "", "", "", "", ""];
  if (t.type === "intent") return ["intent", t.id, "", "", "", ""];
  if (t.type === "charge") return ["charge", "", t.chargeUuid, t.walletUuid, "", ""];
  return ["order", "", t.charge?.chargeUuid ?? "", t.charge?.walletUuid ?? "", t.orderId, t.intentId ?? ""];
};

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
const csvField = (value: string): string =>
  /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

export const ITEMS_CSV_HEADER = [
  "line",
  "type",
  "id",
  "chargeUuid",
  "walletUuid",
  "orderId",
  "intentId",
  "outcome",
  "upstreamStatus",
  "upstreamCode",
  "reason",
  "duplicateOf",
  "startedAt",
  "finishedAt",
  "trail",
] as const;

export const itemsCsv = (rows: readonly ItemRow[]): string => {
  const lines = [
    ITEMS_CSV_HEADER.join(","),
    ...rows.map((row) =>
      [
        String(row.line),
        ...targetCells(row),
        row.outcome,
        row.upstreamStatus === undefined ? "" : String(row.upstreamStatus),
        row.upstreamCode === undefined ? "" : String(row.upstreamCode),
        row.reason ?? "",
        row.duplicateOf === undefined ? "" : String(row.duplicateOf),
        row.startedAt ?? "",
        row.finishedAt ?? "",
        row.trail ?? "",
      ]
        .map(csvField)
        .join(","),
    ),
  ];
  return `${lines.join("\r\n")}\r\n`;
};

/**
 * A job transition's record: its trail. The final one (DONE, STOPPED) announces `Bulk
 * Cancellation Finished` with the counts: it is the outbox item, written in the same
 * transaction as the transition, so the event exists exactly when the job is finished.
 */
import { type BulkJob, countsOf, isFinalJobState } from "./bulk-job.ts";
import type { BulkJobAuditRecord } from "./bulk-ports.ts";

export const jobAuditRecord = (
  ids: { next(): string },
  before: BulkJob | undefined,
  after: BulkJob,
  detail: string,
): BulkJobAuditRecord => ({
  kind: "bulk-job",
  id: ids.next(),
  at: after.updatedAt,
  jobId: after.id,
  actor: after.actor,
  correlationId: after.correlationId,
  ...(after.reason !== undefined && { reason: after.reason }),
  ...(before !== undefined && { from: before.state }),
  to: after.state,
  detail,
  total: after.total,
  counts: countsOf(after).byOutcome,
  createdAt: after.createdAt,
  ...(after.startedAt !== undefined && { startedAt: after.startedAt }),
  ...(after.finishedAt !== undefined && { finishedAt: after.finishedAt }),
  ...(isFinalJobState(after.state) && { event: "Bulk Cancellation Finished" as const }),
});

/** One line for a job's counts, e.g. `4,980 CANCELLED, 20 NOT_FOUND`. */
export const countsLine = (job: BulkJob): string =>
  Object.entries(countsOf(job).byOutcome)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([outcome, n]) => `${(n ?? 0).toLocaleString("en-US")} ${outcome}`)
    .join(", ") || "no item";

/**
 * An item's result from its cancel's outcome, whoever finishes it: the item's own request
 * (the work queue), the continuation (an asynchronous cancel it finished: written in the
 * same transaction as the cancellation's own transition), or the driver's reconciliation.
 * Results are written once (bulk-ports.ts `finishItem`): whichever comes first stands. The
 * job's last result ends the job in the same write (`jobEndWith`): the business operation
 * is finished by the write that completes it, not left to the driver's next look (the
 * driver still ends a job it finds complete: the safety net).
 */
import { outcomeDetail } from "./audit-record.ts";
import { countsLine, jobAuditRecord } from "./bulk-audit.ts";
import type { BulkJob, BulkTransition, FinalItemOutcome } from "./bulk-job.ts";
import type { BulkItemFinish, BulkJobAuditRecord, ItemOutcomeSummary } from "./bulk-ports.ts";
import type { Cancellation } from "./cancellation.ts";
import { type CancelOutcome, isReplayable } from "./outcome.ts";

/** A cut so that one item's result stays small (the job's items share one partition). */
const MAX_DETAIL = 300;

export const summaryOf = (outcome: CancelOutcome): ItemOutcomeSummary => {
  const detail = outcomeDetail(outcome);
  return {
    type: outcome.type,
    ...(outcome.upstream?.httpStatus !== undefined && { upstreamStatus: outcome.upstream.httpStatus }),
    ...(outcome.upstream?.code !== undefined && { upstreamCode: outcome.upstream.code }),
    ...(detail !== undefined && {
      detail: detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail,
    }),
  };
};

/** The outcome, when it is final for an item (PENDING and operational failures are not). */
export const finalItemOutcome = (outcome: CancelOutcome): FinalItemOutcome | undefined =>
  outcome.type !== "PENDING" && isReplayable(outcome) ? outcome.type : undefined;

/**
 * The item result a cancellation's transition finishes, if any: it belongs to a bulk item
 * and reaches DONE now.
 */
export const bulkFinishOf = (
  ids: { next(): string },
  before: Cancellation | undefined,
  after: Cancellation,
  via: BulkItemFinish["via"],
): BulkItemFinish | undefined => {
  const ref = after.request.bulk;
  if (!ref || after.state !== "DONE" || before?.state === "DONE" || !after.outcome) return undefined;
  const outcome = finalItemOutcome(after.outcome);
  if (!outcome) return undefined;
  return {
    jobId: ref.jobId,
    index: ref.index,
    outcome,
    summary: summaryOf(after.outcome),
    at: after.updatedAt,
    via,
    endId: ids.next(),
  };
};

/** A job's end written with its last item's result: the transition and its announcing record. */
export interface JobEnd {
  transition: BulkTransition;
  audit: BulkJobAuditRecord;
}

/**
 * The end this result brings its job, if it is the job's last: a RUNNING job whose every
 * other runnable item is final becomes DONE, and a STOPPING job whose every other started
 * item is final becomes STOPPED (no item starts once a stop is accepted, so `started` no
 * longer moves), each with `Bulk Cancellation Finished` (counts this result included). `job`
 * is as read before the result (its counters without it). The transition is guarded by the
 * job's version and counters as read, as the driver's own DONE and STOPPED are: of the two,
 * and of two results racing, exactly one writes it. Every runnable item being final means
 * each was sent: a fan-out checkpoint not yet written is completed here.
 */
export const jobEndWith = (job: BulkJob, finish: BulkItemFinish): JobEnd | undefined => {
  const done = job.state === "RUNNING" && job.finished + 1 === job.runnable;
  const stopped = job.state === "STOPPING" && job.finished + 1 === job.started;
  if (!done && !stopped) return undefined;
  const { nextCheckAt: _nextCheckAt, ...rest } = job;
  const next: BulkJob = {
    ...rest,
    state: done ? "DONE" : "STOPPED",
    version: job.version + 1,
    ...(done && {
      fanout: job.fanout.next >= job.total ? job.fanout : { next: job.total, sent: job.runnable },
    }),
    finished: job.finished + 1,
    outcomes: { ...job.outcomes, [finish.outcome]: (job.outcomes[finish.outcome] ?? 0) + 1 },
    updatedAt: finish.at,
    finishedAt: finish.at,
  };
  return {
    transition: {
      next,
      expectedVersion: job.version,
      guard: { started: job.started, finished: job.finished },
    },
    audit: jobAuditRecord(
      { next: () => finish.endId },
      job,
      next,
      `${done ? "done" : "stopped"}: ${countsLine(next)}`,
    ),
  };
};

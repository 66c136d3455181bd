/**
 * An item's result from its cancel's outcome, whoever finishes it: the item's own request
 * (the work queue), the continuation (an asynchronous cancel it finished: written in the
 * same transaction as the cancellation's own transition), or the driver's reconciliation.
 * Results are written once (bulk-ports.ts `finishItem`): whichever comes first stands.
 */
import { outcomeDetail } from "./audit-record.ts";
import type { FinalItemOutcome } from "./bulk-job.ts";
import type { BulkItemFinish, ItemOutcomeSummary } from "./bulk-ports.ts";
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
  };
};

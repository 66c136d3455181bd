/**
 * A bulk item's message on the work queue (sent by the bulk driver): run the item
 * (core/bulk-item.ts), then tell the queue what to do, as for a `Cancel Requested` event:
 * a final answer, a PENDING one, a stopped job or a vanished one are done; a rate limit or
 * the same item running elsewhere is put back for later; an operational failure is retried.
 */
import type { Context } from "aws-lambda";
import { parseBulkItemDetail } from "#adapters/queue/bulk-item-queue.ts";
import { runBulkItem } from "#core/bulk-item.ts";
import type { BulkJobStore } from "#core/bulk-ports.ts";
import type { Container } from "#wiring/container.ts";
import { deadlineOf } from "../lambda-deadline.ts";
import { reportOnce } from "../report.ts";
import type { BusVerdict } from "./bus-verdict.ts";
import { verdictOf } from "./cancel-requested-event.ts";

export const handleBulkItemMessage = async (
  container: Container & { bulk: BulkJobStore },
  messageId: string,
  detail: unknown,
  context: Context,
): Promise<BusVerdict> => {
  const parsed = parseBulkItemDetail(detail);
  if (!parsed.ok) {
    // Only the driver sends these: a malformed one is a bug, logged and dropped (retrying cannot fix it).
    container.logger.error("bulk item message unreadable; dropped", { messageId, issues: parsed.issues });
    return { kind: "settled", outcome: "REJECTED", replayed: false };
  }
  const { jobId, index } = parsed.value;
  const run = await runBulkItem(
    { ...container.deps, bulk: container.bulk },
    parsed.value,
    deadlineOf(context),
  );
  if (run.kind === "ran") return verdictOf(reportOnce(container, "bulk", run.result));
  if (run.kind === "already-final") return { kind: "settled", outcome: run.outcome, replayed: true };
  container.logger.info("bulk item not started", {
    jobId,
    index,
    why: run.kind === "no-job" ? "the job does not exist" : `the job is ${run.state}`,
  });
  return { kind: "settled", outcome: "REJECTED", replayed: false };
};

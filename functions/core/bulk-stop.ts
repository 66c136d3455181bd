/**
 * Stopping a job: no item starts after the stop is accepted; the items already started
 * finish (by their request, or by the continuation).
 *
 * The stop is one versioned write: QUEUED or RUNNING → STOPPING, or straight to STOPPED
 * (with its announcement) when no started item is still unfinished. An item's start is a
 * conditional write on the job being RUNNING, so the two are ordered: a start written
 * before the stop is in flight and finishes; one after it fails and the item is STOPPED.
 * A write that found the job moved on (the driver's checkpoint, an item's count) is tried
 * again on a fresh read.
 */
import { countsLine, jobAuditRecord } from "./bulk-audit.ts";
import { type BulkJob, isFinalJobState } from "./bulk-job.ts";
import type { BulkDependencies } from "./bulk-ports.ts";
import { StoreUnavailableError } from "./errors.ts";

export type StopResult =
  | { kind: "stopping"; job: BulkJob }
  | { kind: "stopped"; job: BulkJob }
  /** A stop was accepted before: nothing changes. */
  | { kind: "already-stopping"; job: BulkJob }
  /** DONE or STOPPED: there is nothing to stop. */
  | { kind: "finished"; job: BulkJob }
  /** No such job for this caller. */
  | { kind: "not-found" };

/** Reads and writes tried before giving up on a job that keeps moving. */
const ATTEMPTS = 8;

/**
 * @throws StoreUnavailableError when the store fails, or when the job moved on at every attempt
 */
export const stopBulkJob = async (
  deps: Pick<BulkDependencies, "bulk" | "clock" | "ids">,
  caller: string,
  jobId: string,
): Promise<StopResult> => {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const job = await deps.bulk.get(jobId);
    if (!job || job.actor !== caller) return { kind: "not-found" };
    if (isFinalJobState(job.state)) return { kind: "finished", job };
    if (job.state === "STOPPING") return { kind: "already-stopping", job };
    const now = deps.clock.now();
    const at = new Date(now).toISOString();
    const quiet = job.started === job.finished;
    const { nextCheckAt: _next, ...rest } = job;
    const next: BulkJob = quiet
      ? {
          ...rest,
          state: "STOPPED",
          stopRequestedAt: at,
          finishedAt: at,
          updatedAt: at,
          version: job.version + 1,
        }
      : {
          ...job,
          state: "STOPPING",
          stopRequestedAt: at,
          updatedAt: at,
          version: job.version + 1,
          nextCheckAt: now,
        };
    const detail = quiet
      ? `stopped: ${countsLine(next)}`
      : `stop requested: ${job.started - job.finished} items in flight finish, the rest are not started`;
    const written = await deps.bulk.commit(
      {
        next,
        expectedVersion: job.version,
        ...(quiet && { guard: { started: job.started, finished: job.finished } }),
      },
      [jobAuditRecord(deps.ids, job, next, detail)],
    );
    if (written === "written")
      return quiet ? { kind: "stopped", job: next } : { kind: "stopping", job: next };
  }
  throw new BulkJobBusyError(jobId);
};

/** The job moved on at every attempt (a fan-out checkpointing very fast): the caller may retry. */
export class BulkJobBusyError extends StoreUnavailableError {
  override name = "BulkJobBusyError";
  constructor(jobId: string) {
    super("bulk-jobs", `The job ${jobId} kept changing while it was being stopped; retry the stop`);
  }
}

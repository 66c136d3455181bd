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
 *
 * Who ends a STOPPING job: the result of its last item in flight, in the same write
 * (bulk-item-result.ts `jobEndWith`). A result written between the stop's read and its write
 * saw the job RUNNING and could not; so, after its write, the stop reads the job once more and
 * ends it itself when nothing is in flight any more. (The STOPPING write is not guarded by the
 * counters: under a fast fan-out every start would refuse it.)
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

type Dependencies = Pick<BulkDependencies, "bulk" | "clock" | "ids">;

/**
 * @throws StoreUnavailableError when the store fails, or when the job moved on at every attempt
 */
export const stopBulkJob = async (deps: Dependencies, caller: string, jobId: string): Promise<StopResult> => {
  let stoppedHere = false;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const job = await deps.bulk.get(jobId);
    if (!job || job.actor !== caller) return { kind: "not-found" };
    if (isFinalJobState(job.state)) return stoppedHere ? { kind: "stopped", job } : { kind: "finished", job };
    const quiet = job.started === job.finished;
    if (job.state === "STOPPING" && !quiet) {
      return stoppedHere ? { kind: "stopping", job } : { kind: "already-stopping", job };
    }
    const [transition, audits] = quiet ? stoppedNow(deps, job) : stopping(deps, job);
    if ((await deps.bulk.commit(transition, audits)) !== "written") continue;
    if (quiet) return { kind: "stopped", job: transition.next };
    // Look again: a result written since the read may have been the last in flight.
    stoppedHere = true;
  }
  throw new BulkJobBusyError(jobId);
};

type Commit = Parameters<BulkDependencies["bulk"]["commit"]>;

/** Nothing in flight: STOPPED now, guarded by the counters as read, with its announcement. */
const stoppedNow = (deps: Dependencies, job: BulkJob): Commit => {
  const at = new Date(deps.clock.now()).toISOString();
  const { nextCheckAt: _next, ...rest } = job;
  const next: BulkJob = {
    ...rest,
    state: "STOPPED",
    ...(job.stopRequestedAt === undefined && { stopRequestedAt: at }),
    finishedAt: at,
    updatedAt: at,
    version: job.version + 1,
  };
  return [
    { next, expectedVersion: job.version, guard: { started: job.started, finished: job.finished } },
    [jobAuditRecord(deps.ids, job, next, `stopped: ${countsLine(next)}`)],
  ];
};

/** Items in flight: STOPPING; they finish, and the last one's result ends the job. */
const stopping = (deps: Dependencies, job: BulkJob): Commit => {
  const now = deps.clock.now();
  const at = new Date(now).toISOString();
  const next: BulkJob = {
    ...job,
    state: "STOPPING",
    stopRequestedAt: at,
    updatedAt: at,
    version: job.version + 1,
    nextCheckAt: now,
  };
  const detail = `stop requested: ${job.started - job.finished} items in flight finish, the rest are not started`;
  return [{ next, expectedVersion: job.version }, [jobAuditRecord(deps.ids, job, next, detail)]];
};

/** The job moved on at every attempt (a fan-out checkpointing very fast): the caller may retry. */
export class BulkJobBusyError extends StoreUnavailableError {
  override name = "BulkJobBusyError";
  constructor(jobId: string) {
    super("bulk-jobs", `The job ${jobId} kept changing while it was being stopped; retry the stop`);
  }
}

/**
 * The bulk driver: moves every due job through its state machine (bulk-job.ts). Runs on its
 * own schedule; a job is due from the moment it is submitted, so nothing but its own record
 * decides that it runs and finishes.
 *
 * 1. QUEUED → RUNNING.
 * 2. RUNNING: fan out from the checkpoint, while fewer than the window's items wait on the
 *    work queue (bulk-pace.ts): read the manifest a chunk at a time, send the runnable items,
 *    write the checkpoint (versioned) after every `checkpointEvery` of them. Killed between a
 *    send and its checkpoint, the next run sends those items again: harmless, as an item's
 *    start and result are conditional writes and its cancel's key is derived from the job and
 *    the item. Once all are sent and every item has its final result → DONE.
 * 3. STOPPING: once every started item has its final result → STOPPED (the last result in
 *    flight does it in its own write, bulk-item-result.ts; this is the safety net).
 * 4. Not finished: look again after `recheckMs`; now and then check items still PENDING
 *    against the cancellation they wait on (bulk-reconcile.ts). A job whose fan-out and
 *    counts have not moved for `stuckAfterMs` is reported stuck (every message of an item
 *    dead-lettered leaves it RUNNING: an operator redrives them, `cancelctl dlq redrive`).
 *
 * DONE and STOPPED carry the `Bulk Cancellation Finished` record (the outbox item) in the
 * same transaction. A write that finds the job moved on (a stop, another run) leaves it to
 * the next look. Nothing new starts near the deadline.
 */
import { countsLine, jobAuditRecord } from "./bulk-audit.ts";
import {
  type BulkJob,
  type BulkTransition,
  isFinalJobState,
  MANIFEST_SLICE,
  type ManifestEntry,
} from "./bulk-job.ts";
import { fanoutWindow } from "./bulk-pace.ts";
import type { BulkDependencies, BulkItemMessage } from "./bulk-ports.ts";
import { progressOf, type StuckJob } from "./bulk-progress.ts";
import { reconcile } from "./bulk-reconcile.ts";
import type { CancellationStore } from "./ports.ts";

export type DriverDependencies = BulkDependencies & { cancellations: Pick<CancellationStore, "get"> };

export interface DriverOptions {
  /** Epoch ms: the invocation's deadline. */
  deadline: number;
  /** Nothing new is started this close to the deadline. */
  stopMarginMs: number;
  /** Due jobs read per run. */
  pageSize: number;
}

export interface DriverSummary {
  jobs: number;
  /** Items sent to the work queue in this run. */
  sent: number;
  /** Jobs that reached DONE or STOPPED in this run. */
  finished: number;
  /** Items finished by the reconciliation. */
  reconciled: number;
  /** Writes that found the job moved on by someone else (left to the next look). */
  conflicts: number;
  /** Jobs still RUNNING or STOPPING after this run. */
  active: number;
  /** Jobs that have not moved for `stuckAfterMs` (an operator must look). */
  stuck: StuckJob[];
  stoppedEarly: boolean;
}

/** An empty summary, added to by each job's advance. */
export const emptyDriverSummary = (): DriverSummary => ({
  jobs: 0,
  sent: 0,
  finished: 0,
  reconciled: 0,
  conflicts: 0,
  active: 0,
  stuck: [],
  stoppedEarly: false,
});

const iso = (ms: number): string => new Date(ms).toISOString();

export const driveBulkJobs = async (
  deps: DriverDependencies,
  options: DriverOptions,
): Promise<DriverSummary> => {
  const summary = emptyDriverSummary();
  const until = options.deadline - options.stopMarginMs;
  const due = await deps.bulk.due(deps.clock.now(), options.pageSize);
  for (const job of due) {
    if (deps.clock.now() >= until) {
      summary.stoppedEarly = true;
      break;
    }
    summary.jobs++;
    const after = await advanceJob(deps, job, until, summary);
    if (after && isFinalJobState(after.state)) summary.finished++;
    else summary.active++;
  }
  return summary;
};

/** One job as far as it goes now; the job as written last, or undefined when a write found it moved on. */
export const advanceJob = async (
  deps: DriverDependencies,
  job: BulkJob,
  until: number,
  summary: DriverSummary,
): Promise<BulkJob | undefined> => {
  let current: BulkJob | undefined = job;
  /** Writes a transition (with its trail record when it changes the state) or a checkpoint. */
  const write = async (transition: BulkTransition, detail?: string): Promise<BulkJob | undefined> => {
    const audits = detail === undefined ? [] : [jobAuditRecord(deps.ids, current, transition.next, detail)];
    if ((await deps.bulk.commit(transition, audits)) === "written") return transition.next;
    summary.conflicts++;
    return undefined;
  };
  const moved = (from: BulkJob, fields: Partial<BulkJob>): BulkJob => ({
    ...from,
    ...fields,
    version: from.version + 1,
    updatedAt: iso(deps.clock.now()),
  });

  if (current.state === "QUEUED") {
    current = await write(
      {
        next: moved(current, { state: "RUNNING", startedAt: iso(deps.clock.now()) }),
        expectedVersion: current.version,
      },
      `fan-out starts: ${current.runnable} items`,
    );
    if (!current) return undefined;
  }
  if (current.state === "RUNNING" && current.fanout.next < current.total) {
    current = await fanOut(deps, current, until, summary, write, moved);
    if (!current) return undefined;
  }
  const allSent = current.fanout.next >= current.total;
  if (current.state === "RUNNING" && allSent && current.finished >= current.runnable) {
    return write(
      {
        next: finalState(moved(current, {}), "DONE", deps.clock.now()),
        expectedVersion: current.version,
        guard: { started: current.started, finished: current.finished },
      },
      `done: ${countsLine(current)}`,
    );
  }
  if (current.state === "STOPPING" && current.finished >= current.started) {
    return write(
      {
        next: finalState(moved(current, {}), "STOPPED", deps.clock.now()),
        expectedVersion: current.version,
        guard: { started: current.started, finished: current.finished },
      },
      `stopped: ${countsLine({ ...current, state: "STOPPED" })}`,
    );
  }
  const reconciledAt = await reconcile(deps, current, summary);
  const { progress, stuck } = progressOf(current, deps.clock.now(), deps.pacing.stuckAfterMs);
  if (stuck) summary.stuck.push(stuck);
  return write({
    next: moved(current, {
      nextCheckAt: deps.clock.now() + deps.pacing.recheckMs,
      progress,
      ...(reconciledAt !== undefined && { reconciledAt }),
    }),
    expectedVersion: current.version,
  });
};

/** The final record: no more looks. */
const finalState = (job: BulkJob, state: "DONE" | "STOPPED", now: number): BulkJob => {
  const { nextCheckAt: _next, ...rest } = job;
  return { ...rest, state, finishedAt: iso(now) };
};

type Write = (transition: BulkTransition, detail?: string) => Promise<BulkJob | undefined>;
type Moved = (from: BulkJob, fields: Partial<BulkJob>) => BulkJob;

const messageOf = (job: BulkJob, index: number, entry: ManifestEntry): BulkItemMessage | undefined =>
  entry.kind === "run"
    ? {
        jobId: job.id,
        index,
        target: entry.target,
        actor: job.actor,
        ...(job.reason !== undefined && { reason: job.reason }),
      }
    : undefined;

/** Step 2's fan-out: sends and checkpoints until the window is full, the manifest ends, or time is up. */
const fanOut = async (
  deps: DriverDependencies,
  job: BulkJob,
  until: number,
  summary: DriverSummary,
  write: Write,
  moved: Moved,
): Promise<BulkJob | undefined> => {
  const window = fanoutWindow(job, deps.budget, deps.pacing);
  let current = job;
  while (current.fanout.next < current.total && deps.clock.now() < until) {
    // `started` as read when this run began: items started since only make the room larger.
    let room = window - (current.fanout.sent - job.started);
    if (room <= 0) break;
    const from = current.fanout.next;
    const slice = await deps.bulk.manifest(current, from, Math.min(current.total, from + MANIFEST_SLICE));
    let offset = 0;
    while (offset < slice.length && room > 0 && deps.clock.now() < until) {
      const messages: BulkItemMessage[] = [];
      let next = current.fanout.next;
      while (offset < slice.length && messages.length < Math.min(room, deps.pacing.checkpointEvery)) {
        const entry = slice[offset] as ManifestEntry;
        const message = messageOf(current, from + offset, entry);
        if (message) messages.push(message);
        offset++;
        next++;
      }
      if (messages.length > 0) await deps.work.send(messages);
      summary.sent += messages.length;
      room -= messages.length;
      const checkpointed = await write({
        next: moved(current, { fanout: { next, sent: current.fanout.sent + messages.length } }),
        expectedVersion: current.version,
      });
      if (!checkpointed) return undefined;
      current = checkpointed;
    }
  }
  return current;
};

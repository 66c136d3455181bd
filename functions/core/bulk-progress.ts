/**
 * Whether a job is moving: the driver notes, at each look, a mark of what moves when items
 * are sent, started or finished, and since when it has not changed. A job not final whose
 * mark stays the same for `stuckAfterMs` is stuck: every message of an item dead-lettered
 * (its job stays RUNNING until an operator redrives them), or a consumer failing all along.
 * The driver logs each stuck job and counts them in a gauge an alarm watches.
 */
import { type BulkJob, countsOf } from "./bulk-job.ts";

export interface StuckJob {
  jobId: string;
  state: BulkJob["state"];
  /** Started items without a final result. */
  pending: number;
  /** Items not started yet. */
  queued: number;
  /** Since when nothing moved (ISO). */
  since: string;
}

/** What moves when a job makes progress: the fan-out's checkpoint and the counters. */
const progressMarkOf = (job: BulkJob): string => `${job.fanout.next}/${job.started}/${job.finished}`;

/** The job's progress as of `now`, and the job as stuck when it has not moved for `stuckAfterMs`. */
export const progressOf = (
  job: BulkJob,
  now: number,
  stuckAfterMs: number,
): { progress: NonNullable<BulkJob["progress"]>; stuck?: StuckJob } => {
  const mark = progressMarkOf(job);
  if (job.progress?.mark !== mark) return { progress: { mark, at: new Date(now).toISOString() } };
  if (now - Date.parse(job.progress.at) < stuckAfterMs) return { progress: job.progress };
  const counts = countsOf(job);
  return {
    progress: job.progress,
    stuck: {
      jobId: job.id,
      state: job.state,
      pending: counts.pending,
      queued: counts.queued,
      since: job.progress.at,
    },
  };
};

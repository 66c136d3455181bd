/**
 * Bulk jobs over the in-memory ports, with every actor a test needs to interleave: the
 * submitter, the driver, the work queue's consumer, the continuation and the stop.
 */

import { advanceJob, driveBulkJobs, emptyDriverSummary } from "#core/bulk-driver.ts";
import { type BulkItemRun, runBulkItem } from "#core/bulk-item.ts";
import type { BulkItemTarget } from "#core/bulk-job.ts";
import type { SubmittedLine } from "#core/bulk-manifest.ts";
import type { BulkItemMessage } from "#core/bulk-ports.ts";
import { type BulkDependencies, type BulkPacing, DEFAULT_BULK_PACING } from "#core/bulk-ports.ts";
import { type StopResult, stopBulkJob } from "#core/bulk-stop.ts";
import { type SubmitResult, submitBulkJob } from "#core/bulk-submit.ts";
import { runContinuation } from "#core/continuation.ts";
import { CONTINUATION_OWNER } from "#core/ownership.ts";
import { FakeWorkQueue, InMemoryBulkStore } from "./in-memory-bulk.ts";
import { inMemoryDependencies } from "./in-memory-ports.ts";

export const SUBMITTER = "storefront_app";

export const lines = (...targets: BulkItemTarget[]): SubmittedLine[] =>
  targets.map((target, i) => ({ line: i + 1, target }));

export const intents = (...ids: string[]): BulkItemTarget[] => ids.map((id) => ({ type: "intent", id }));

export const bulkWorld = (pacing: Partial<BulkPacing> = {}) => {
  const base = inMemoryDependencies();
  const bulk = new InMemoryBulkStore();
  const work = new FakeWorkQueue();
  base.cancellations.bulk = bulk;
  const bulkDeps: BulkDependencies = {
    bulk,
    work,
    clock: base.clock,
    ids: base.ids,
    budget: { perMinute: { "procure-core": 300, a55: 100 }, backgroundShare: 0.6 },
    pacing: { ...DEFAULT_BULK_PACING, ...pacing },
  };
  const driverDeps = { ...bulkDeps, cancellations: base.cancellations };
  const deadline = () => base.clock.now() + 60_000;

  return {
    ...base,
    bulk,
    work,
    bulkDeps,
    submit: (
      targetsOrLines: readonly SubmittedLine[],
      options: { key?: string; skipInvalid?: boolean; reason?: string } = {},
    ): Promise<SubmitResult> =>
      submitBulkJob(
        bulkDeps,
        { actor: SUBMITTER, correlationId: "corr-submit", idempotencyKey: options.key ?? "key-1" },
        {
          lines: targetsOrLines,
          unit: "line",
          skipInvalid: options.skipInvalid ?? false,
          ...(options.reason !== undefined && { reason: options.reason }),
        },
      ),
    /** The job as stored now; fails the test when it does not exist. */
    jobOf: async (jobId: string) => {
      const job = await bulk.get(jobId);
      if (!job) throw new Error(`no job ${jobId}`);
      return job;
    },
    /** The next message on the queue; fails the test when it is empty. */
    takeMessage: (): BulkItemMessage => {
      const message = work.take();
      if (!message) throw new Error("the work queue is empty");
      return message;
    },
    drive: () => driveBulkJobs(driverDeps, { deadline: deadline(), stopMarginMs: 5_000, pageSize: 10 }),
    /** One job's advance, as one driver run would do it (for interleavings). */
    advance: async (jobId: string) => {
      const job = await bulk.get(jobId);
      if (!job) return undefined;
      return advanceJob(driverDeps, job, deadline(), emptyDriverSummary());
    },
    stop: (jobId: string, caller = SUBMITTER): Promise<StopResult> => stopBulkJob(bulkDeps, caller, jobId),
    /** The consumer runs one message. */
    run: (message: BulkItemMessage): Promise<BulkItemRun> =>
      runBulkItem({ ...base.deps, bulk }, message, deadline()),
    /** The consumer runs every message on the queue, in order, until it is empty. */
    drain: async (): Promise<BulkItemRun[]> => {
      const runs: BulkItemRun[] = [];
      for (let message = work.take(); message; message = work.take()) {
        runs.push(await runBulkItem({ ...base.deps, bulk }, message, deadline()));
      }
      return runs;
    },
    continuation: () =>
      runContinuation(
        base.deps,
        {
          trigger: "schedule",
          actor: "continuation",
          owner: CONTINUATION_OWNER,
          correlationId: "corr-cont",
          deadline: deadline(),
        },
        { concurrency: 1, pageSize: 100, stopMarginMs: 1_000 },
      ),
  };
};

export type BulkWorld = ReturnType<typeof bulkWorld>;

/**
 * The continuation: finishes what requests left open — orders waiting on an asynchronous
 * intent cancel, charges still due, requests that died midway — and asynchronous intent
 * cancels. Runs on its own schedule, independent of the sweep.
 *
 * 1. Read the due cancellations, oldest-due first, a page at a time.
 * 2. Advance each as far as the upstreams allow (`advanceCancellation`, the same driver
 *    the requests use), with bounded concurrency; an intent read by several orders in one
 *    run is read once.
 * 3. Write each transition with its records in one conditional write; one that another run
 *    moved on meanwhile is left to it. Still open: next check with per-entry backoff; open
 *    past the limit: STUCK (announced).
 * 4. Start nothing new near the deadline; a store failure stops the run (and is rethrown).
 *
 * Before the cancellations, it finishes the single cancels whose attempt never completed
 * (abandoned-attempts.ts): killed, or their completing write failed after the upstream acted.
 */
import { finishAbandonedAttempts } from "./abandoned-attempts.ts";
import { advanceCancellation } from "./advance-cancellation.ts";
import { bulkFinishOf } from "./bulk-item-result.ts";
import type { Cancellation } from "./cancellation.ts";
import { transitionAudits } from "./cancellation-audits.ts";
import { settle } from "./cancellation-records.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { CallOptions, IntentReadResult, IntentsUpstream } from "./ports.ts";

export interface ContinuationOptions {
  concurrency: number;
  pageSize: number;
  /** No new cancellation is started once the deadline is this close. */
  stopMarginMs: number;
  onProgress?: (summary: ContinuationSummary) => void;
}

export interface ContinuationSummary {
  /** Cancellations looked at. */
  checked: number;
  /** Reached DONE in this run. */
  finished: number;
  /** Still open after this run (waiting, or stopped by an operational problem). */
  stillOpen: number;
  /** Became STUCK in this run. */
  becameStuck: number;
  /** Stopped by an operational failure this time (retried at their next check). */
  problems: number;
  /** Moved on by someone else meanwhile; left to them. */
  conflicts: number;
  /** Single cancels whose attempt never completed (killed, or its completing write failed), carried out again by this run. */
  takenOver: number;
  stoppedEarly: boolean;
  durationMs: number;
}

export const runContinuation = async (
  deps: CancelDependencies,
  context: Omit<CancelContext, "idempotency">,
  options: ContinuationOptions,
): Promise<ContinuationSummary> => {
  const startedAt = deps.clock.now();
  const summary: ContinuationSummary = {
    checked: 0,
    finished: 0,
    stillOpen: 0,
    becameStuck: 0,
    problems: 0,
    conflicts: 0,
    takenOver: 0,
    stoppedEarly: false,
    durationMs: 0,
  };
  const runDeps: CancelDependencies = { ...deps, intents: readOncePerRun(deps.intents) };
  const seen = new Set<string>();
  let fatal: { error: unknown } | undefined;
  let cursor: string | undefined;
  const nearDeadline = () => deps.clock.now() >= context.deadline - options.stopMarginMs;

  const attempts = await finishAbandonedAttempts(runDeps, context, startedAt, { ...options, nearDeadline });
  summary.takenOver = attempts.takenOver;
  if (attempts.stoppedEarly)
    return { ...summary, stoppedEarly: true, durationMs: deps.clock.now() - startedAt };

  do {
    if (nearDeadline()) {
      summary.stoppedEarly = true;
      break;
    }
    const page = await deps.cancellations.due(startedAt, { limit: options.pageSize, cursor });
    const queue = page.items.filter((c) => !seen.has(`${c.kind}#${c.id}`));
    for (const c of queue) seen.add(`${c.kind}#${c.id}`);
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c && !fatal; c = queue.shift()) {
        if (nearDeadline()) {
          summary.stoppedEarly = true;
          return;
        }
        await continueOne(runDeps, context, c, summary).catch((error: unknown) => {
          fatal ??= { error };
        });
        options.onProgress?.({ ...summary, durationMs: deps.clock.now() - startedAt });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    if (fatal) throw fatal.error;
    if (summary.stoppedEarly) break;
    cursor = page.cursor;
  } while (cursor);
  return { ...summary, durationMs: deps.clock.now() - startedAt };
};

const continueOne = async (
  deps: CancelDependencies,
  context: Omit<CancelContext, "idempotency">,
  record: Cancellation,
  summary: ContinuationSummary,
): Promise<void> => {
  summary.checked++;
  const startedAt = deps.clock.now();
  // Upstream calls are this run's (background priority, its deadline); the records keep the request's identity.
  const callContext: CancelContext = { ...context, correlationId: record.request.correlationId };
  const { next, problem } = await advanceCancellation(deps, callContext, record, { resumed: true });
  const now = deps.clock.now();
  const after = settle(record, next, { now, policy: deps.lifecycle, problem, checked: true });
  const newProblem = problem && record.lastProblem?.problem !== after.lastProblem?.problem;
  const audits = transitionAudits(deps.ids, {
    before: record,
    after,
    problem: newProblem ? after.lastProblem : undefined,
    at: after.updatedAt,
    latencyMs: now - startedAt,
    via: "continuation",
  });
  // A bulk item's cancellation reaching DONE finishes the item in the same transaction.
  const bulkItem = bulkFinishOf(deps.ids, record, after, "continuation");
  if (
    (await deps.work.commitTransition({ next: after, expectedVersion: record.version }, audits, bulkItem)) ===
    "conflict"
  ) {
    summary.conflicts++;
    return;
  }
  if (problem) summary.problems++;
  if (after.state === "DONE") summary.finished++;
  else summary.stillOpen++;
  if (after.state === "STUCK" && record.state !== "STUCK") summary.becameStuck++;
};

/**
 * Procure-Core reads shared within one run: several orders waiting on one intent cost one
 * read of its budget. Only reads are shared; cancels always go through.
 */
const readOncePerRun = (intents: IntentsUpstream): IntentsUpstream => {
  const reads = new Map<string, Promise<IntentReadResult>>();
  return {
    cancelIntent: (id, options) => intents.cancelIntent(id, options),
    listIntents: (query, options) => intents.listIntents(query, options),
    getIntent: (id: string, options?: CallOptions) => {
      let read = reads.get(id);
      if (!read) {
        read = intents.getIntent(id, options);
        // A failed read is not kept: the next order waiting on it may try again.
        read.catch(() => reads.delete(id));
        reads.set(id, read);
      }
      return read;
    },
  };
};

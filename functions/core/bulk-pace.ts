/**
 * How fast a job may go, from the shared upstream budget's background share (ADR 0003):
 * the fan-out window (how many items wait on the work queue) and the estimate of the time
 * left. Bulk items are background work: they never take people's slots.
 */
import type { BulkJob, Upstream } from "./bulk-job.ts";
import type { BulkBudget, BulkPacing } from "./bulk-ports.ts";

const UPSTREAMS: readonly Upstream[] = ["procure-core", "a55"];

/**
 * Items a minute the background share lets this job run, alone: the upstream it leans on
 * hardest sets the pace (an order job needs both).
 */
export const itemsPerMinute = (
  job: Pick<BulkJob, "runnable" | "upstreamCalls">,
  budget: BulkBudget,
): number => {
  let rate = Number.POSITIVE_INFINITY;
  for (const upstream of UPSTREAMS) {
    const perItem = job.upstreamCalls[upstream] / Math.max(1, job.runnable);
    if (perItem > 0) rate = Math.min(rate, (budget.perMinute[upstream] * budget.backgroundShare) / perItem);
  }
  return Number.isFinite(rate) ? rate : Math.min(...UPSTREAMS.map((u) => budget.perMinute[u]));
};

/** The fewest items kept waiting, whatever the budget: a batch of the consumer per container. */
const MIN_WINDOW = 20;

/**
 * How many items may wait on the work queue (sent, not yet started): `windowMinutes` of the
 * budget. More would only cycle through the queue's rate-limit redeliveries; fewer would let
 * the queue run dry between two driver runs.
 */
export const fanoutWindow = (
  job: Pick<BulkJob, "runnable" | "upstreamCalls">,
  budget: BulkBudget,
  pacing: BulkPacing,
): number => Math.max(MIN_WINDOW, Math.ceil(pacing.windowMinutes * itemsPerMinute(job, budget)));

/**
 * Seconds left at the budget's background pace, for the items not final yet; undefined once
 * the job is final. An estimate: other background work shares the same slots.
 */
export const secondsLeft = (job: BulkJob, budget: BulkBudget): number | undefined => {
  if (job.state === "DONE" || job.state === "STOPPED") return undefined;
  const remaining = job.state === "STOPPING" ? job.started - job.finished : job.runnable - job.finished;
  return Math.ceil((Math.max(0, remaining) / itemsPerMinute(job, budget)) * 60);
};

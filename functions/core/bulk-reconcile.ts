/**
 * The driver's backstop for items still PENDING: a cancel that joined another request's
 * cancellation (which does not know the item), or whose finishing transition was written
 * before the item was marked, is finished here from its target's cancellation once that is
 * DONE. Only once the fan-out is over, every `reconcileEveryMs`, and a bounded number of
 * items per look.
 */
import { finalItemOutcome, summaryOf } from "./bulk-item-result.ts";
import { type BulkJob, MANIFEST_SLICE, type ManifestEntry } from "./bulk-job.ts";
import type { BulkDependencies } from "./bulk-ports.ts";
import type { CancellationStore } from "./ports.ts";

const iso = (ms: number): string => new Date(ms).toISOString();

/** Items reconciled per look at most: the rest wait for the next one. */
const RECONCILE_LIMIT = 50;

/**
 * Step 4's backstop: each item still PENDING whose target's cancellation is DONE (since the
 * item started) gets that outcome. Only once the fan-out is over, and every
 * `reconcileEveryMs`. @returns when it ran, or undefined when it was not due
 */
export const reconcile = async (
  deps: BulkDependencies & { cancellations: Pick<CancellationStore, "get"> },
  job: BulkJob,
  summary: { reconciled: number },
): Promise<number | undefined> => {
  const now = deps.clock.now();
  const last = job.reconciledAt ?? Date.parse(job.startedAt ?? job.createdAt);
  if (job.fanout.next < job.total || job.started <= job.finished || now - last < deps.pacing.reconcileEveryMs)
    return undefined;
  const waiting = (await deps.bulk.results(job.id, 0, job.total)).filter((r) => r.status === "PENDING");
  const slices = new Map<number, ManifestEntry[]>();
  const entryAt = async (index: number): Promise<ManifestEntry | undefined> => {
    const start = index - (index % MANIFEST_SLICE);
    let slice = slices.get(start);
    if (!slice) {
      slice = await deps.bulk.manifest(job, start, Math.min(job.total, start + MANIFEST_SLICE));
      slices.set(start, slice);
    }
    return slice[index - start];
  };
  for (const item of waiting.slice(0, RECONCILE_LIMIT)) {
    const entry = await entryAt(item.index);
    if (entry?.kind !== "run") continue;
    const { target } = entry;
    const cancellation =
      target.type === "intent"
        ? await deps.cancellations.get("intent", target.id)
        : target.type === "charge"
          ? await deps.cancellations.get("charge", target.chargeUuid)
          : await deps.cancellations.get("order", target.orderId);
    if (cancellation?.state !== "DONE" || !cancellation.outcome) continue;
    if (cancellation.updatedAt < item.startedAt) continue;
    const outcome = finalItemOutcome(cancellation.outcome);
    if (!outcome) continue;
    const written = await deps.bulk.finishItem({
      jobId: job.id,
      index: item.index,
      outcome,
      summary: summaryOf(cancellation.outcome),
      at: iso(deps.clock.now()),
      via: "driver",
      endId: deps.ids.next(),
    });
    if (written === "written") summary.reconciled++;
  }
  return now;
};

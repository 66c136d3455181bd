import { cancelIntent } from "./cancel-intent.ts";
import { type CancelContext, type CancelDependencies, callOptionsOf } from "./dependencies.ts";
import { scopeKeys } from "./identifiers.ts";
import type { IntentDetails } from "./ports.ts";

/** Which of a page of SUBMITTED intents, oldest first, are older than the expiry; stops at the first younger one. */
export const selectExpiredIntents = (
  oldestFirst: readonly IntentDetails[],
  now: number,
  expiryAfterMs: number,
): { expired: IntentDetails[]; reachedYounger: boolean } => {
  const expired: IntentDetails[] = [];
  for (const intent of oldestFirst) {
    const createdAt = Date.parse(intent.createdAt);
    if (!(now - createdAt > expiryAfterMs)) return { expired, reachedYounger: true };
    expired.push(intent);
  }
  return { expired, reachedYounger: false };
};

export interface SweepOptions {
  expiryAfterMs: number;
  concurrency: number;
  pageSize: number;
  dryRun: boolean;
  /** No new cancel starts once the deadline is this close; started ones finish. */
  stopMarginMs: number;
  onProgress?: (summary: SweepSummary) => void;
}

export interface SweepSummary {
  dryRun: boolean;
  scanned: number;
  cancelled: number;
  pending: number;
  /** The state changed meanwhile (no longer SUBMITTED), or another run holds or did it. */
  skipped: number;
  failed: number;
  /** Expired intents a dry run would cancel. */
  wouldCancel: number;
  stoppedEarly: boolean;
  listError?: string;
  durationMs: number;
}

/**
 * The expiry sweep: cancels SUBMITTED intents older than the expiry.
 *
 * 1. Read SUBMITTED intents oldest first, a page at a time, keeping the expired ones not
 *    seen yet; stop at the first younger one.
 * 2. Cancel them with bounded concurrency, each once per intent (`sweep:<id>` scope).
 *    Cancelled intents leave the SUBMITTED list, so the same page is read again until it
 *    holds nothing new, then the next one.
 * 3. Start nothing new near the deadline, after a store failure (then rethrow it), or once
 *    a cancel failed rate-limited (the shared budget has no slot before the deadline, or
 *    the upstream said 429): every further one would fail the same way. Finish what started.
 * 4. Return the tally.
 */
export const runExpirySweep = async (
  deps: CancelDependencies,
  context: Omit<CancelContext, "idempotency">,
  options: SweepOptions,
): Promise<SweepSummary> => {
  const startedAt = deps.clock.now();
  const summary: SweepSummary = {
    dryRun: options.dryRun,
    scanned: 0,
    cancelled: 0,
    pending: 0,
    skipped: 0,
    failed: 0,
    wouldCancel: 0,
    stoppedEarly: false,
    durationMs: 0,
  };
  const queue: IntentDetails[] = [];
  const seen = new Set<string>();
  let page = 1;
  let exhausted = false;
  let filling: Promise<void> | undefined;
  let fatal: { error: unknown } | undefined;
  let rateLimited = false;

  const readMore = async (): Promise<void> => {
    while (!exhausted) {
      let items: IntentDetails[];
      try {
        const result = await deps.intents.listIntents(
          { status: "SUBMITTED", sortBy: "createdAt", order: "asc", page, pageSize: options.pageSize },
          callOptionsOf(context),
        );
        items = result.items;
      } catch (error) {
        summary.listError = error instanceof Error ? error.message : String(error);
        exhausted = true;
        return;
      }
      const { expired, reachedYounger } = selectExpiredIntents(items, startedAt, options.expiryAfterMs);
      const fresh = expired.filter((intent) => !seen.has(intent.id));
      for (const intent of fresh) seen.add(intent.id);
      queue.push(...fresh);
      summary.scanned += fresh.length;
      const lastPage = reachedYounger || items.length < options.pageSize;
      if (fresh.length > 0) return;
      if (lastPage) exhausted = true;
      else page++;
    }
  };
  const next = async (): Promise<IntentDetails | undefined> => {
    while (queue.length === 0 && !exhausted) {
      filling ??= readMore().finally(() => {
        filling = undefined;
      });
      await filling;
    }
    return queue.shift();
  };

  const worker = async (): Promise<void> => {
    while (!fatal) {
      if (rateLimited || deps.clock.now() >= context.deadline - options.stopMarginMs) {
        summary.stoppedEarly = queue.length > 0 || !exhausted;
        return;
      }
      const intent = await next();
      if (!intent) return;
      if (options.dryRun) {
        summary.wouldCancel++;
      } else {
        // A store failure means cancels can no longer be made safely: stop every worker.
        const verdict = await sweepOne(deps, context, intent, summary).catch((error: unknown) => {
          fatal ??= { error };
        });
        if (verdict === "rate-limited") rateLimited = true;
      }
      options.onProgress?.({ ...summary, durationMs: deps.clock.now() - startedAt });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  if (fatal) throw fatal.error;
  return { ...summary, durationMs: deps.clock.now() - startedAt };
};

const sweepOne = async (
  deps: CancelDependencies,
  context: Omit<CancelContext, "idempotency">,
  intent: IntentDetails,
  summary: SweepSummary,
): Promise<"rate-limited" | undefined> => {
  const result = await cancelIntent(
    deps,
    { ...context, idempotency: { scopeKey: scopeKeys.sweep(intent.id) } },
    { intentId: intent.id, reason: "expired: not processed in time" },
  );
  if (result.kind !== "outcome" || result.replayed) {
    summary.skipped++;
    return;
  }
  switch (result.outcome.type) {
    case "CANCELLED":
      summary.cancelled++;
      return;
    case "PENDING":
      summary.pending++;
      return;
    case "FAILED":
      summary.failed++;
      return result.outcome.problem === "rate-limited" ? "rate-limited" : undefined;
    case "FORBIDDEN":
      summary.failed++;
      return;
    default:
      summary.skipped++;
  }
};

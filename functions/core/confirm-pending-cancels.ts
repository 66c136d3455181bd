import { auditRecord } from "./audit-record.ts";
import { cancelChargeStep } from "./cancel-charge.ts";
import { orderChargeKey } from "./cancel-order.ts";
import { type CancelContext, type CancelDependencies, callOptionsOf } from "./dependencies.ts";
import { adviceFor } from "./intent-rules.ts";
import { type CancelOutcome, isFinal, type Target } from "./outcome.ts";
import { detailTypeOf } from "./outcome-events.ts";
import type { PendingCancel } from "./ports.ts";
import { failureFrom, upstreamInfo } from "./upstream-failure.ts";

export interface ConfirmSummary {
  checked: number;
  confirmed: number;
  stillPending: number;
  /** The cancel did not happen (e.g. the order shipped or completed meanwhile). */
  notCancelled: number;
  failed: number;
}

/**
 * Confirms asynchronous (PROCESSING) intent cancels that Procure-Core accepted earlier.
 *
 * 1. List the pending entries.
 * 2. Re-read each intent. Still PROCESSING: leave it for the next run.
 * 3. CANCELLED: if it belongs to an order whose charge waited for it, cancel the charge
 *    now with the order's own derived A55 key (a retry reuses it).
 * 4. Anything else: Procure-Core did not cancel it; the outcome says so.
 * 5. Remove the entry and append the audit record in one write; publish the outcome.
 */
export const confirmPendingCancels = async (
  deps: CancelDependencies,
  context: Omit<CancelContext, "idempotency">,
  options: { limit?: number } = {},
): Promise<ConfirmSummary> => {
  const summary: ConfirmSummary = { checked: 0, confirmed: 0, stillPending: 0, notCancelled: 0, failed: 0 };
  let cursor: string | undefined;
  do {
    const page = await deps.pending.list({ limit: options.limit ?? 100, cursor });
    for (const entry of page.items) {
      summary.checked++;
      const startedAt = deps.clock.now();
      const outcome = await confirmOne(deps, context, entry);
      if (!outcome) {
        summary.stillPending++;
        continue;
      }
      if (!isFinal(outcome)) {
        summary.failed++;
        continue;
      }
      if (outcome.type === "CANCELLED") summary.confirmed++;
      else summary.notCancelled++;
      const entryContext = { ...context, correlationId: entry.correlationId };
      const audit = auditRecord(deps, entryContext, outcome, entry.reason, startedAt);
      audit.event = detailTypeOf(outcome);
      await deps.pending.resolve(entry.intentId, audit);
    }
    cursor = page.cursor;
  } while (cursor);
  return summary;
};

/** The entry's final outcome, or undefined while Procure-Core is still working on it. */
const confirmOne = async (
  deps: CancelDependencies,
  context: Omit<CancelContext, "idempotency">,
  entry: PendingCancel,
): Promise<CancelOutcome | undefined> => {
  const target: Target = { type: "intent", id: entry.intentId };
  try {
    const read = await deps.intents.getIntent(entry.intentId, {
      ...callOptionsOf(context),
      correlationId: entry.correlationId,
    });
    const upstream = upstreamInfo(read.meta);
    if (read.kind === "not-found") return { type: "NOT_FOUND", target, reason: read.message, upstream };
    if (read.kind === "forbidden") return { type: "FORBIDDEN", target, reason: read.message, upstream };
    const { status } = read.intent;
    if (status === "PROCESSING") return undefined;
    if (status !== "CANCELLED") {
      return {
        type: "NOT_CANCELLABLE",
        target,
        currentStatus: status,
        reason: `Procure-Core did not cancel the intent; it is ${status}`,
        advice: adviceFor(status),
        upstream,
      };
    }
    const cancelled: CancelOutcome = { type: "CANCELLED", target, intent: read.intent, upstream };
    const charge = entry.order?.charge;
    if (!entry.order || !charge) return cancelled;
    const chargeOutcome = await cancelChargeStep(
      deps,
      { ...context, correlationId: entry.correlationId },
      { ...charge, reason: entry.reason },
      orderChargeKey(deps.ids, entry.order.scopeKey),
    );
    return chargeOutcome.type === "CANCELLED" || chargeOutcome.type === "ALREADY_CANCELLED"
      ? { ...cancelled, steps: { intent: cancelled, charge: chargeOutcome } }
      : { ...chargeOutcome, steps: { intent: cancelled, charge: chargeOutcome } };
  } catch (error) {
    return failureFrom(target, error);
  }
};

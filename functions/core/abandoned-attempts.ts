/**
 * Finishing single cancels whose attempt never completed: the process was killed, or the
 * write completing its key failed (throttling, an outage), after the upstream may have
 * acted. Nothing else would: the caller may never retry, and the sweep never sees an intent
 * again once it is no longer SUBMITTED. The key itself says what the attempt was doing
 * (`BeginRequest.recovery`), so the continuation can find it (`IdempotencyStore.abandoned`)
 * once its lock is over.
 *
 * The continuation takes such an attempt over as its request's own retry would — same
 * scope, same payload, resumed (resend the intent's cancel, or the charge's with the same
 * derived A55 key; "already cancelled" is the attempt's own success) — but only from that
 * attempt (`takeOver`: its lock token), and writes the trail, the event and the key's
 * completion in one transaction, under the request's identity (`via: continuation`).
 */
import { cancelCharge } from "./cancel-charge.ts";
import { cancelIntent } from "./cancel-intent.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import { ownerOf } from "./ownership.ts";
import type { AbandonedAttempt } from "./ports.ts";
import type { OnceResult } from "./run-once.ts";

/** Runs one abandoned attempt again, on the request's behalf, within the continuation's deadline. */
export const takeOverAttempt = (
  deps: CancelDependencies,
  context: Pick<CancelContext, "deadline">,
  attempt: AbandonedAttempt,
): Promise<OnceResult> => {
  const { requestedBy, cancel } = attempt;
  const onBehalf: CancelContext = {
    trigger: requestedBy.trigger,
    actor: requestedBy.actor,
    // A key taken before owners were recorded: the owner its actor names (ownership.ts).
    owner: ownerOf(requestedBy) ?? `${requestedBy.trigger}:${requestedBy.actor}`,
    correlationId: requestedBy.correlationId,
    deadline: context.deadline,
    via: "continuation",
    idempotency: {
      scopeKey: attempt.scopeKey,
      ...(requestedBy.idempotencyKey !== undefined && { key: requestedBy.idempotencyKey }),
      takeOver: attempt.token,
    },
  };
  return cancel.kind === "intent"
    ? cancelIntent(deps, onBehalf, { intentId: cancel.intentId, reason: cancel.reason })
    : cancelCharge(deps, onBehalf, {
        chargeUuid: cancel.chargeUuid,
        walletUuid: cancel.walletUuid,
        reason: cancel.reason,
      });
};

export interface AttemptsOptions {
  concurrency: number;
  pageSize: number;
  /** Whether the run must start nothing new (its deadline is near). */
  nearDeadline: () => boolean;
}

/**
 * Takes over every abandoned attempt due by `now`, a page at a time with bounded
 * concurrency; returns how many it carried out (those another attempt completed or took
 * meanwhile are left alone), and whether it stopped for the deadline.
 *
 * @throws StoreUnavailableError when the store fails (the run stops; the next one goes on)
 */
export const finishAbandonedAttempts = async (
  deps: CancelDependencies,
  context: Pick<CancelContext, "deadline">,
  now: number,
  options: AttemptsOptions,
): Promise<{ takenOver: number; stoppedEarly: boolean }> => {
  let takenOver = 0;
  let stoppedEarly = false;
  let fatal: { error: unknown } | undefined;
  let cursor: string | undefined;
  do {
    if (options.nearDeadline()) return { takenOver, stoppedEarly: true };
    const page = await deps.idempotency.abandoned(now, { limit: options.pageSize, cursor });
    const queue = [...page.items];
    const worker = async (): Promise<void> => {
      for (let attempt = queue.shift(); attempt && !fatal; attempt = queue.shift()) {
        if (options.nearDeadline()) {
          stoppedEarly = true;
          return;
        }
        const result = await takeOverAttempt(deps, context, attempt).catch((error: unknown) => {
          fatal ??= { error };
        });
        if (result?.kind === "outcome" && !result.replayed) takenOver++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
    if (fatal) throw fatal.error;
    cursor = page.cursor;
  } while (cursor && !stoppedEarly);
  return { takenOver, stoppedEarly };
};

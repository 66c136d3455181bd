import { type CancelContext, type CancelDependencies, callOptionsOf } from "./dependencies.ts";
import { adviceFor } from "./intent-rules.ts";
import type { CancelOutcome, Target } from "./outcome.ts";
import { type OnceResult, runOnce } from "./run-once.ts";
import { failureFrom, upstreamInfo } from "./upstream-failure.ts";

export interface CancelIntentInput {
  intentId: string;
  reason?: string;
}

/**
 * Cancels one Procure-Core intent, once.
 *
 * 1. Take the idempotency key (or replay / refuse, see `runOnce`).
 * 2. Ask Procure-Core to cancel; map its answer to an outcome (`intentOutcome`). A resumed
 *    attempt (an earlier one may have sent the cancel) reads "already CANCELLED" as its own
 *    success.
 * 3. Complete the key and append the audit record in one write; publish the outcome.
 */
export const cancelIntent = (
  deps: CancelDependencies,
  context: CancelContext,
  input: CancelIntentInput,
): Promise<OnceResult> =>
  runOnce(deps, context, {
    target: { type: "intent", id: input.intentId },
    payload: { intentId: input.intentId, reason: input.reason ?? null },
    reason: input.reason,
    single: {
      kind: "intent",
      intentId: input.intentId,
      ...(input.reason !== undefined && { reason: input.reason }),
    },
    work: (lease) => cancelIntentStep(deps, context, input.intentId, lease?.resumed ?? false),
  });

/**
 * Step 2 of `cancelIntent`, reused by orders, the sweep and the continuation. Never throws
 * for upstream trouble.
 *
 * A resumed attempt sends the cancel without reading the intent first. Reading first would
 * cost a request in the common case (the earlier attempt was refused by the budget or failed
 * before Procure-Core acted: read, then cancel) to save one in the rare one (its answer was
 * lost after Procure-Core acted: cancel answers 40003, then the read below), and it decides
 * nothing the cancel's answer does not: Procure-Core cancels only SUBMITTED and PROCESSING
 * intents, and "already CANCELLED" after an attempt that may have acted is counted as ours
 * either way (`mayHaveActed`; the lifecycle model's attribution invariant goes red without it).
 */
export const cancelIntentStep = async (
  deps: CancelDependencies,
  context: CancelContext,
  intentId: string,
  resumed: boolean,
): Promise<CancelOutcome> => {
  const target: Target = { type: "intent", id: intentId };
  const options = callOptionsOf(context);
  try {
    const answer = await deps.intents.cancelIntent(intentId, options);
    // An earlier attempt of ours may have been applied without its answer reaching us (a
    // resumed request, or a retry inside this call after a lost answer): "already
    // CANCELLED" is then our own success, not someone else's.
    const outcome = intentOutcome(target, answer, {
      mayHaveActed: resumed || (answer.meta.attempts ?? 1) > 1,
    });
    if (outcome.type !== "CANCELLED" || outcome.intent) return outcome;
    // The seed's success answer shows the intent: read it, so the answer is the one the first attempt lost.
    const read = await deps.intents.getIntent(intentId, options);
    return read.kind === "found" ? { ...outcome, intent: read.intent } : outcome;
  } catch (error) {
    return failureFrom(target, error);
  }
};

/** States in which Procure-Core is still working on the intent: a cancel accepted earlier has not ended yet. */
const STILL_RUNNING: ReadonlySet<string> = new Set(["PROCESSING", "SUBMITTED"]);

/**
 * How an intent whose cancel was accepted asynchronously stands now: `undefined` while
 * Procure-Core is still working on it; else its final outcome (CANCELLED, or
 * NOT_CANCELLABLE with the state it ended in: COMPLETED when the goods were bought). A
 * read that fails is an operational failure, never an outcome.
 */
export const readIntentOutcome = async (
  deps: CancelDependencies,
  context: CancelContext,
  intentId: string,
): Promise<CancelOutcome | undefined> => {
  const target: Target = { type: "intent", id: intentId };
  try {
    const read = await deps.intents.getIntent(intentId, callOptionsOf(context));
    const upstream = upstreamInfo(read.meta);
    if (read.kind === "not-found") return { type: "NOT_FOUND", target, reason: read.message, upstream };
    if (read.kind === "forbidden") return { type: "FORBIDDEN", target, reason: read.message, upstream };
    const { status } = read.intent;
    if (STILL_RUNNING.has(status)) return undefined;
    if (status === "CANCELLED") return { type: "CANCELLED", target, intent: read.intent, upstream };
    return {
      type: "NOT_CANCELLABLE",
      target,
      currentStatus: status,
      reason: `Procure-Core did not cancel the intent; it is ${status}`,
      advice: adviceFor(status),
      upstream,
    };
  } catch (error) {
    return failureFrom(target, error);
  }
};

type IntentAnswer = Awaited<ReturnType<CancelDependencies["intents"]["cancelIntent"]>>;

/**
 * The seed's answers as outcomes. A 40003 saying CANCELLED is ALREADY_CANCELLED (someone
 * cancelled it before), or CANCELLED when an earlier attempt of this request may have done it.
 */
export const intentOutcome = (
  target: Target,
  answer: IntentAnswer,
  options: { mayHaveActed?: boolean } = {},
): CancelOutcome => {
  const upstream = upstreamInfo(answer.meta);
  switch (answer.kind) {
    case "accepted":
      return answer.intent.status === "CANCELLED"
        ? { type: "CANCELLED", target, intent: answer.intent, upstream }
        : { type: "PENDING", target, intent: answer.intent, upstream };
    case "not-cancellable":
      if (answer.currentStatus === "CANCELLED" && options.mayHaveActed) {
        return { type: "CANCELLED", target, upstream };
      }
      return answer.currentStatus === "CANCELLED"
        ? { type: "ALREADY_CANCELLED", target, upstream }
        : {
            type: "NOT_CANCELLABLE",
            target,
            currentStatus: answer.currentStatus,
            reason: answer.reason,
            advice: adviceFor(answer.currentStatus),
            upstream,
          };
    case "not-found":
      return { type: "NOT_FOUND", target, reason: answer.message, upstream };
    case "forbidden":
      return { type: "FORBIDDEN", target, reason: answer.message, upstream };
    case "cancel-failed":
      // A documented refusal (e.g. already shipped): trying again will not change it.
      return { type: "FAILED", target, retryable: false, reason: answer.reason, upstream };
  }
};

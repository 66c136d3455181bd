import { MAX_DELAY_SECONDS } from "#adapters/queue/redelivery-message.ts";
import type { BusVerdict } from "./bus-verdict.ts";

/** The wait assumed when a rate limit named none: A55's limit is counted per minute. */
export const DEFAULT_RATE_LIMIT_DELAY_SECONDS = 60;

/**
 * The longest wait for a request another delivery is running: a cancel usually ends within a
 * second, so its lock (up to the other invocation's deadline) is checked again early; a
 * check is one DynamoDB read, and it never counts towards the dead-letter queue.
 */
export const IN_PROGRESS_RECHECK_SECONDS = 2;

/**
 * How long a message put back for later waits before it is visible again.
 *
 * - rate-limited: the `Retry-After` the upstream or the budget gave, plus up to a quarter
 *   more at random, so that a burst put back together does not return in the same second
 *   and meet the limit again all at once;
 * - in progress: when the other delivery's lock ends, but at most {@link IN_PROGRESS_RECHECK_SECONDS};
 * - no time left in this invocation: at once (another invocation takes it).
 *
 * Capped at SQS's 15 minutes.
 *
 * @param random uniform in [0, 1)
 */
export const redeliveryDelaySeconds = (
  verdict: Extract<BusVerdict, { kind: "later" }>,
  random: number,
): number => {
  if (verdict.why === "no-time") return 0;
  if (verdict.why === "in-progress") {
    return Math.min(IN_PROGRESS_RECHECK_SECONDS, Math.max(1, Math.ceil(verdict.retryAfterSeconds ?? 1)));
  }
  const base = Math.max(1, Math.ceil(verdict.retryAfterSeconds ?? DEFAULT_RATE_LIMIT_DELAY_SECONDS));
  return Math.min(MAX_DELAY_SECONDS, base + Math.floor(random * Math.ceil(base / 4)));
};

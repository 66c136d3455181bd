import { MAX_DELAY_SECONDS } from "#adapters/queue/sqs-redelivery.ts";
import type { BusVerdict } from "./bus-verdict.ts";

/** The wait assumed when a rate limit named none: A55's limit is counted per minute. */
export const DEFAULT_RATE_LIMIT_DELAY_SECONDS = 60;

/**
 * How long a message put back for later waits before it is visible again.
 *
 * - rate-limited: the `Retry-After` the upstream or the budget gave, plus up to a quarter
 *   more at random, so that a burst put back together does not return in the same second
 *   and meet the limit again all at once;
 * - in progress: when the other delivery's lock ends;
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
  const base = Math.max(1, Math.ceil(verdict.retryAfterSeconds ?? DEFAULT_RATE_LIMIT_DELAY_SECONDS));
  const spread = verdict.why === "rate-limited" ? Math.floor(random * Math.ceil(base / 4)) : 0;
  return Math.min(MAX_DELAY_SECONDS, base + spread);
};

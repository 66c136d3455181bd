import type { Context } from "aws-lambda";

/** Time kept back from the invocation's end to write the outcome after the last upstream answer. */
export const WRITE_MARGIN_MS = 1_000;

/** The epoch-ms deadline for upstream work in this invocation. */
export const deadlineOf = (context: Pick<Context, "getRemainingTimeInMillis">, nowMs = Date.now()): number =>
  nowMs + Math.max(0, context.getRemainingTimeInMillis() - WRITE_MARGIN_MS);

/**
 * middy's own early timeout is off: it would reject the invocation while the cancel
 * goes on in the background. Every upstream call and retry already stops at `deadlineOf`,
 * which keeps `WRITE_MARGIN_MS` for recording the outcome.
 */
export const NO_EARLY_TIMEOUT = { timeoutEarlyInMillis: 0 } as const;

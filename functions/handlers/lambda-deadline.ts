import type { Context } from "aws-lambda";

/** Time kept back from the invocation's end to write the outcome after the last upstream answer. */
export const WRITE_MARGIN_MS = 1_000;

/** The epoch-ms deadline for upstream work in this invocation. */
export const deadlineOf = (context: Pick<Context, "getRemainingTimeInMillis">, nowMs = Date.now()): number =>
  nowMs + Math.max(0, context.getRemainingTimeInMillis() - WRITE_MARGIN_MS);

import {
  ConfigurationError,
  StoreUnavailableError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamRateLimitedError,
  ValidationError,
} from "./errors.ts";
import type { CancelOutcome, OperationalProblem, Target, UpstreamInfo } from "./outcome.ts";
import type { UpstreamMeta } from "./ports.ts";

/**
 * What kind of operational failure an upstream error is. Documented answers are never
 * thrown (the clients return them as results), so whatever is thrown is operational.
 */
export const problemOf = (error: UpstreamError): OperationalProblem => {
  if (error instanceof UpstreamRateLimitedError || error.httpStatus === 429) return "rate-limited";
  if (error instanceof UpstreamAuthError) return "credentials-refused";
  if (error.httpStatus === undefined || error.httpStatus >= 500) return "unavailable";
  return "contract-violation";
};

/**
 * Turns what an upstream client threw into a FAILED outcome. Every thrown upstream error
 * is an operational failure: retryable, with the `problem` an operator must look at, never
 * stored as an outcome (docs/cancel-semantics.md, "Two kinds of failure"). A `ValidationError` means
 * the request can never be sent as it is. Anything else is a bug and is rethrown.
 */
export const failureFrom = (target: Target, error: unknown): CancelOutcome => {
  if (error instanceof UpstreamError) {
    return {
      type: "FAILED",
      target,
      retryable: true,
      problem: problemOf(error),
      ...(error instanceof UpstreamRateLimitedError && { retryAfterSeconds: error.retryAfterSeconds }),
      reason: error.message,
      upstream: {
        httpStatus: error.httpStatus,
        code: error.code,
        message: error.upstreamMessage,
        requestId: error.requestId,
        attempts: error.attempts,
      },
    };
  }
  if (error instanceof ValidationError) {
    return { type: "FAILED", target, retryable: false, reason: `${error.field}: ${error.message}` };
  }
  // The credentials could not be read (Secrets Manager down: it may come back; a malformed
  // secret: an operator must fix it). Either way nothing was sent and a retry may succeed.
  if (error instanceof StoreUnavailableError || error instanceof ConfigurationError) {
    return {
      type: "FAILED",
      target,
      retryable: true,
      problem: error instanceof StoreUnavailableError ? "unavailable" : "internal",
      reason: error.message,
    };
  }
  throw error;
};

/** The audit-worthy part of an upstream answer (drops rate-limit bookkeeping). */
export const upstreamInfo = (meta: UpstreamMeta): UpstreamInfo => {
  const { rateLimit: _rateLimit, ...info } = meta;
  return info;
};

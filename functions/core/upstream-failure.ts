import { UpstreamError, ValidationError } from "./errors.ts";
import type { CancelOutcome, Target, UpstreamInfo } from "./outcome.ts";
import type { UpstreamMeta } from "./ports.ts";

/**
 * Turns what an upstream client threw into a FAILED outcome. Only typed upstream and
 * validation errors are expected here; anything else is a bug and is rethrown.
 */
export const failureFrom = (target: Target, error: unknown): CancelOutcome => {
  if (error instanceof UpstreamError) {
    return {
      type: "FAILED",
      target,
      retryable: error.retryable,
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
  throw error;
};

/** The audit-worthy part of an upstream answer (drops rate-limit bookkeeping). */
export const upstreamInfo = (meta: UpstreamMeta): UpstreamInfo => {
  const { rateLimit: _rateLimit, ...info } = meta;
  return info;
};

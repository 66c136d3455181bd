/**
 * The errors the upstream exchange throws, the same for every upstream: written in the
 * upstream's own label, carrying what its error dialect reads off the answer (code,
 * message, request id) and the attempts the call took. Answers inside the contract are
 * the clients' to interpret; these are the operational failures around them.
 */
import {
  CancellationServiceError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamRateLimitedError,
} from "#core/errors.ts";
import { retryAfterMsOf } from "../budget/rate-limit-headers.ts";
import { describeError, RetriesExhaustedError } from "./retry-policy.ts";

/** What an answer says about itself, read by the upstream's error dialect. */
export interface AnswerFacts {
  code?: string | number | undefined;
  message?: string | undefined;
  requestId?: string | undefined;
}

/** One answer, as the failure is about. */
export interface FailedAnswer {
  status: number;
  headers: Headers;
  facts: AnswerFacts;
  attempts: number;
}

/** An upstream as its errors name it. */
export interface FailingUpstream<N extends string> {
  name: N;
  label: string;
}

const fieldsOf = <N extends string>(upstream: FailingUpstream<N>, answer: FailedAnswer) => ({
  upstream: upstream.name,
  httpStatus: answer.status,
  code: answer.facts.code,
  upstreamMessage: answer.facts.message,
  requestId: answer.facts.requestId,
  attempts: answer.attempts,
});

/** An answer the client cannot use: outside the contract, or a 5xx left when retries ran out. */
export const answerFailure = <N extends string>(
  upstream: FailingUpstream<N>,
  answer: FailedAnswer,
  failure: { retryable: boolean; message: string },
): UpstreamError<N> => new UpstreamError({ ...fieldsOf(upstream, answer), ...failure });

/** Still 429 when retries or time ran out: the upstream's own `Retry-After` is passed on. */
export const rateLimited = <N extends string>(
  upstream: FailingUpstream<N>,
  answer: FailedAnswer,
  nowMs: number,
): UpstreamRateLimitedError<N> => {
  const retryAfterMs = retryAfterMsOf(answer.headers, nowMs);
  const code = answer.facts.code === undefined ? "" : ` ${answer.facts.code}`;
  return new UpstreamRateLimitedError({
    ...fieldsOf(upstream, answer),
    source: "upstream",
    retryAfterSeconds: retryAfterMs === undefined ? 1 : retryAfterMs / 1000,
    message: `${upstream.label} answered HTTP 429${code} after ${answer.attempts} attempt(s)`,
  });
};

/** 401 again after the credentials were renewed once. */
export const credentialsRefused = <N extends string>(
  upstream: FailingUpstream<N>,
  answer: FailedAnswer,
): UpstreamAuthError<N> =>
  new UpstreamAuthError({
    ...fieldsOf(upstream, answer),
    retryable: false,
    message: `${upstream.label} rejected the credentials (HTTP ${answer.status}), also after renewing them`,
  });

/**
 * No answer at all: retries ran out on network errors or timeouts, the caller aborted, or
 * fetch failed outright. The service's own errors (the budget refusing, its store down)
 * pass through as they are.
 */
export const noAnswer = <N extends string>(
  upstream: FailingUpstream<N>,
  operation: string,
  error: unknown,
  context: { attempts: number; aborted: boolean },
): CancellationServiceError => {
  const { attempts } = context;
  // The shared budget refused an attempt: say how many went out before it (0: nothing of this
  // call reached the upstream; the trail's `upstream.attempts` tells an operator so).
  if (
    error instanceof UpstreamRateLimitedError &&
    error.source === "budget" &&
    error.attempts === undefined
  ) {
    return new UpstreamRateLimitedError(
      {
        upstream: error.upstream,
        message: error.message,
        retryAfterSeconds: error.retryAfterSeconds,
        source: "budget",
        attempts,
      },
      { cause: error },
    );
  }
  if (error instanceof CancellationServiceError) return error;
  const what = `${upstream.label} ${operation}`;
  if (error instanceof RetriesExhaustedError) {
    return new UpstreamError(
      {
        upstream: upstream.name,
        retryable: true,
        message: `${what}: unreachable: ${error.message}`,
        attempts,
      },
      { cause: error },
    );
  }
  if (context.aborted) {
    return new UpstreamError(
      { upstream: upstream.name, retryable: true, message: `${what}: aborted by the caller`, attempts },
      { cause: error },
    );
  }
  return new UpstreamError(
    {
      upstream: upstream.name,
      retryable: false,
      message: `${what}: failed: ${describeError(error)}`,
      attempts,
    },
    { cause: error },
  );
};

/**
 * One logical HTTP request to A55 (the cancel or the token endpoint) under the shared
 * retry policy: network errors, per-attempt timeouts, 5xx and 429 (after `Retry-After`)
 * are tried again with the very same request, so a cancel keeps its `Idempotency-Key`.
 * Every attempt first takes a slot from the shared upstream budget, and every answer is
 * shown to it. Failures without an answer become `UpstreamError`s (the budget's own
 * refusals pass through as they are); answers, even exhausted 5xx and 429, are returned
 * for the caller to interpret.
 */
import { CancellationServiceError, UpstreamError } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";
import type { AttemptBudget } from "../http/attempt-budget.ts";
import {
  isRetryableStatus,
  isTransientFetchError,
  parseRetryAfter,
  RetriesExhaustedError,
  type RetryEvent,
  type RetryPolicy,
} from "../http/retry-policy.ts";

export type A55Operation = "cancel-charge" | "token";

/** One HTTP attempt, reported as it ends. Never holds a token, a secret or a body. */
export interface A55CallEvent {
  operation: A55Operation;
  attempt: number;
  httpStatus?: number;
  requestId?: string;
  latencyMs: number;
  /** Set when the attempt ended without an answer (network error, timeout). */
  error?: string;
}

export interface A55RetryEvent extends RetryEvent {
  operation: A55Operation;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export interface Exchange {
  answer: HttpAnswer;
  attempts: number;
  /** The answer still asked for a retry (5xx/429) when attempts or time ran out. */
  exhausted: boolean;
}

export interface HttpDeps {
  fetch: typeof fetch;
  /** The shared upstream budget every attempt takes a slot from. */
  budget: AttemptBudget;
  policy: RetryPolicy;
  now: () => number;
  onRetry?: ((event: A55RetryEvent) => void) | undefined;
  onCall?: ((event: A55CallEvent) => void) | undefined;
}

export interface Budget {
  /** Epoch ms, by the client's clock. */
  deadline: number;
  signal?: AbortSignal | undefined;
  /** For the shared upstream budget. */
  priority?: UpstreamPriority | undefined;
}

export interface RequestSpec {
  /** The A55 client whose rate limit the request counts against (budget key). */
  client: string;
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

/** Sends `spec`, retrying per the policy. Throws `UpstreamError` when no answer came back. */
export const exchange = async (
  deps: HttpDeps,
  operation: A55Operation,
  spec: RequestSpec,
  budget: Budget,
): Promise<Exchange> => {
  try {
    return await deps.policy.run<HttpAnswer>({
      admit: () =>
        deps.budget.take({
          upstream: "a55",
          client: spec.client,
          priority: budget.priority,
          deadline: budget.deadline,
          signal: budget.signal,
        }),
      attempt: async (attempt, signal) => {
        const started = performance.now();
        try {
          const response = await deps.fetch(spec.url, {
            method: spec.method,
            headers: spec.headers,
            body: spec.body,
            signal,
          });
          deps.budget.observe({
            upstream: "a55",
            client: spec.client,
            status: response.status,
            headers: response.headers,
          });
          // Read inside the attempt, so a body that stalls is cut by the same timeout.
          const text = await response.text();
          deps.onCall?.({
            operation,
            attempt,
            httpStatus: response.status,
            requestId: response.headers.get("x-request-id") ?? undefined,
            latencyMs: Math.round(performance.now() - started),
          });
          return { status: response.status, headers: response.headers, text };
        } catch (error) {
          deps.onCall?.({
            operation,
            attempt,
            latencyMs: Math.round(performance.now() - started),
            error: name(error),
          });
          throw error;
        }
      },
      judge: (answer) =>
        isRetryableStatus(answer.status)
          ? {
              retry: true,
              reason: `HTTP ${answer.status}`,
              retryAfterMs: parseRetryAfter(answer.headers.get("retry-after"), deps.now()),
            }
          : { retry: false },
      isRetryableError: isTransientFetchError,
      deadline: budget.deadline,
      signal: budget.signal,
      onRetry: (event) => deps.onRetry?.({ ...event, operation }),
    });
  } catch (error) {
    throw noAnswerError(operation, error, budget.signal);
  }
};

const noAnswerError = (
  operation: A55Operation,
  error: unknown,
  signal: AbortSignal | undefined,
): CancellationServiceError => {
  if (error instanceof CancellationServiceError) return error;
  const what = operation === "token" ? "A55 token request" : "A55 charge cancel";
  if (error instanceof RetriesExhaustedError) {
    return new UpstreamError(
      { upstream: "a55", retryable: true, message: `${what}: ${error.message}`, attempts: error.attempts },
      { cause: error },
    );
  }
  if (signal?.aborted) {
    return new UpstreamError(
      { upstream: "a55", retryable: true, message: `${what} aborted by the caller` },
      { cause: error },
    );
  }
  return new UpstreamError(
    { upstream: "a55", retryable: false, message: `${what} failed: ${name(error)}` },
    { cause: error },
  );
};

const name = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? `${error.name}: ${code}` : `${error.name}: ${error.message}`;
};

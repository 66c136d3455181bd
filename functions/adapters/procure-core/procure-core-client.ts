/**
 * The Procure-Core client (seed 000): cancel, read and list procurement intents.
 *
 * Every request is signed over the exact path, query and (empty) body that are sent
 * (`request-signature.ts`), and runs under the shared retry policy: network errors,
 * per-attempt timeouts, 429 (honouring `Retry-After`) and 5xx are retried — except 50003
 * "取消操作失败", a documented business answer that arrives as HTTP 500. A 401 refreshes
 * the credentials once and tries once more; a second 401 is `UpstreamAuthError`.
 *
 * Every attempt — retries and the one after a 401 refresh included — first takes a slot
 * from the shared upstream budget (`budget`, with the call's priority), and every answer is
 * shown to it, so what Procure-Core announces (`X-RateLimit-*`, `Retry-After`) is honoured.
 * A 429 left when retries or time ran out is `UpstreamRateLimitedError` (source `upstream`)
 * carrying Procure-Core's own `Retry-After`. When the answer announces `X-RateLimit-*` (the
 * seed does not; the sandbox does when its limit is on), `meta.rateLimit` carries it.
 *
 * The seed's codes become typed results (ports.ts); any other code, or a body that is not
 * a `{code, message, data}` envelope, is an `UpstreamError` carrying the HTTP status, code
 * and message, retryable when the status was 5xx or 429. Ids that do not match
 * `intent-id.ts` are refused with `ValidationError` before anything is sent.
 */
import {
  CancellationServiceError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamRateLimitedError,
} from "#core/errors.ts";
import type {
  CallOptions,
  IntentCancelResult,
  IntentPage,
  IntentReadResult,
  IntentsUpstream,
  ListIntentsQuery,
  UpstreamMeta,
} from "#core/ports.ts";
import { type AttemptBudget, UNMETERED } from "../http/attempt-budget.ts";
import { readRateLimit, retryAfterMsOf } from "../http/rate-limit-headers.ts";
import { signRequest } from "../http/request-signature.ts";
import {
  createRetryPolicy,
  DEFAULT_RETRY_SETTINGS,
  isRetryableStatus,
  isTransientFetchError,
  parseRetryAfter,
  RetriesExhaustedError,
  type RetryEvent,
  type RetryPolicy,
  type RetryVerdict,
  systemRetryEnvironment,
} from "../http/retry-policy.ts";
import {
  PROCURE_CORE_CODES as CODES,
  type Envelope,
  parseEnvelope,
  readIntentDetails,
  readIntentPage,
  readIntentView,
  readNotCancellable,
  readReason,
} from "./envelope.ts";
import { assertIntentId } from "./intent-id.ts";
import { toListQueryString } from "./list-query.ts";

export interface ProcureCoreCredentials {
  baseUrl: string;
  appId: string;
  appSecret: string;
}

/** Where the client's credentials come from; `refresh` bypasses any cache (called after a 401). */
export interface ProcureCoreCredentialSource {
  get(): Promise<ProcureCoreCredentials>;
  refresh(): Promise<ProcureCoreCredentials>;
}

export type ProcureCoreOperation = "cancelIntent" | "getIntent" | "listIntents";

export interface ProcureCoreRetryEvent extends RetryEvent {
  operation: ProcureCoreOperation;
}

/** One logical call, reported once when it ends (answered or thrown). */
export interface ProcureCoreCallEvent {
  operation: ProcureCoreOperation;
  httpStatus?: number;
  latencyMs: number;
  attempts: number;
}

export interface ProcureCoreClientOptions {
  credentials: ProcureCoreCredentialSource;
  /**
   * Defaults to the shared policy with default settings on the system clock, except that
   * its `now` is this client's `now`. A policy passed in should use the same clock.
   */
  retryPolicy?: RetryPolicy;
  fetch?: typeof fetch;
  /** The shared upstream budget every attempt takes a slot from. Default: none. */
  budget?: AttemptBudget;
  /** Epoch ms; signs `X-Timestamp`, measures latency and sets the default deadline. */
  now?: () => number;
  onRetry?: (event: ProcureCoreRetryEvent) => void;
  onCall?: (event: ProcureCoreCallEvent) => void;
}

/** The retry budget of a call made without `CallOptions.deadline`. */
export const DEFAULT_CALL_BUDGET_MS = 10_000;

interface Answer {
  status: number;
  headers: Headers;
  envelope: Envelope | undefined;
}

interface Exchange {
  answer: Answer;
  meta: UpstreamMeta;
}

const UPSTREAM = "procure-core";

export class ProcureCoreClient implements IntentsUpstream {
  readonly #credentials: ProcureCoreCredentialSource;
  readonly #retry: RetryPolicy;
  readonly #fetch: typeof fetch;
  readonly #budget: AttemptBudget;
  readonly #now: () => number;
  readonly #onRetry: ((event: ProcureCoreRetryEvent) => void) | undefined;
  readonly #onCall: ((event: ProcureCoreCallEvent) => void) | undefined;

  constructor(options: ProcureCoreClientOptions) {
    this.#credentials = options.credentials;
    this.#now = options.now ?? Date.now;
    this.#retry =
      options.retryPolicy ??
      createRetryPolicy(DEFAULT_RETRY_SETTINGS, { ...systemRetryEnvironment, now: this.#now });
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#budget = options.budget ?? UNMETERED;
    this.#onRetry = options.onRetry;
    this.#onCall = options.onCall;
  }

  /** `POST /api/v1/intents/{id}/cancel`. A PROCESSING intent may be `accepted` while still PROCESSING (asynchronous cancel). */
  async cancelIntent(id: string, options?: CallOptions): Promise<IntentCancelResult> {
    assertIntentId(id);
    const { answer, meta } = await this.#exchange(
      "cancelIntent",
      "POST",
      `/api/v1/intents/${id}/cancel`,
      options,
    );
    const envelope = answer.envelope;
    switch (envelope?.code) {
      case CODES.ok: {
        const intent = isSuccessStatus(answer.status) ? readIntentView(envelope.data) : undefined;
        if (intent) return { kind: "accepted", intent, meta };
        break;
      }
      case CODES.notFound:
        return { kind: "not-found", message: envelope.message, meta };
      case CODES.forbidden:
        return { kind: "forbidden", message: envelope.message, meta };
      case CODES.notCancellable: {
        const details = readNotCancellable(envelope.data);
        if (details) return { kind: "not-cancellable", ...details, meta };
        break;
      }
      case CODES.cancelFailed:
        return { kind: "cancel-failed", reason: readReason(envelope.data) ?? envelope.message, meta };
    }
    throw unexpectedAnswer(answer, meta);
  }

  /** `GET /api/v1/intents/{id}`. */
  async getIntent(id: string, options?: CallOptions): Promise<IntentReadResult> {
    assertIntentId(id);
    const { answer, meta } = await this.#exchange("getIntent", "GET", `/api/v1/intents/${id}`, options);
    const envelope = answer.envelope;
    switch (envelope?.code) {
      case CODES.ok: {
        const intent = isSuccessStatus(answer.status) ? readIntentDetails(envelope.data) : undefined;
        if (intent) return { kind: "found", intent, meta };
        break;
      }
      case CODES.notFound:
        return { kind: "not-found", message: envelope.message, meta };
      case CODES.forbidden:
        return { kind: "forbidden", message: envelope.message, meta };
    }
    throw unexpectedAnswer(answer, meta);
  }

  /** `GET /api/v1/intents?…` — query and answer shapes are our assumption, see `list-query.ts`. */
  async listIntents(query: ListIntentsQuery, options?: CallOptions): Promise<IntentPage> {
    const queryString = toListQueryString(query);
    const route = queryString ? `/api/v1/intents?${queryString}` : "/api/v1/intents";
    const { answer, meta } = await this.#exchange("listIntents", "GET", route, options);
    const envelope = answer.envelope;
    const page =
      envelope?.code === CODES.ok && isSuccessStatus(answer.status)
        ? readIntentPage(envelope.data)
        : undefined;
    if (page) return page;
    throw unexpectedAnswer(answer, meta);
  }

  /** Sends one logical request: retries, the one credentials refresh on 401, and the `onCall` report. */
  async #exchange(
    operation: ProcureCoreOperation,
    method: "GET" | "POST",
    route: string,
    options: CallOptions | undefined,
  ): Promise<Exchange> {
    const started = this.#now();
    const deadline = options?.deadline ?? started + DEFAULT_CALL_BUDGET_MS;
    const signal = options?.signal;
    const priority = options?.priority;
    let attempts = 0;
    let httpStatus: number | undefined;
    try {
      let credentials = await this.#credentials.get();
      for (let refreshed = false; ; refreshed = true) {
        const base = new URL(credentials.baseUrl);
        // A base URL may carry a path prefix; the signed path is the full path sent.
        const pathAndQuery = `${base.pathname.replace(/\/+$/, "")}${route}`;
        const url = `${base.origin}${pathAndQuery}`;
        const signer = credentials;
        const client = signer.appId;
        let result: { answer: Answer };
        try {
          result = await this.#retry.run<Answer>({
            deadline,
            ...(signal ? { signal } : {}),
            admit: () => this.#budget.take({ upstream: UPSTREAM, client, priority, deadline, signal }),
            attempt: async (_attempt, attemptSignal) => {
              attempts++;
              const headers = {
                accept: "application/json",
                ...signRequest(signer, { method, pathAndQuery, body: "" }, this.#now()),
              };
              const response = await this.#fetch(url, { method, headers, signal: attemptSignal });
              this.#budget.observe({
                upstream: UPSTREAM,
                client,
                status: response.status,
                headers: response.headers,
              });
              const text = await response.text();
              return { status: response.status, headers: response.headers, envelope: parseEnvelope(text) };
            },
            judge: (answer) => this.#judge(answer),
            isRetryableError: isTransientFetchError,
            onRetry: (event) => this.#onRetry?.({ operation, ...event }),
          });
        } catch (error) {
          throw transportFailure(error, attempts, signal);
        }
        const { answer } = result;
        httpStatus = answer.status;
        const meta = this.#meta(answer, started, attempts);
        if (answer.status === 429) throw rateLimited(answer, meta, this.#now());
        if (answer.status !== 401) return { answer, meta };
        if (refreshed) {
          throw new UpstreamAuthError({
            upstream: UPSTREAM,
            retryable: false,
            message: "Procure-Core rejected the credentials (HTTP 401) even after refreshing them",
            httpStatus: answer.status,
            ...envelopeFields(answer.envelope),
            attempts,
          });
        }
        credentials = await this.#credentials.refresh();
      }
    } finally {
      this.#onCall?.({
        operation,
        ...(httpStatus === undefined ? {} : { httpStatus }),
        latencyMs: this.#now() - started,
        attempts,
      });
    }
  }

  #judge(answer: Answer): RetryVerdict {
    // 50003 is the seed's documented "cancel failed" answer: sending it again cannot help.
    if (answer.envelope?.code === CODES.cancelFailed) return { retry: false };
    if (!isRetryableStatus(answer.status)) return { retry: false };
    const retryAfterMs = parseRetryAfter(answer.headers.get("retry-after"), this.#now());
    const code = answer.envelope ? ` code ${answer.envelope.code}` : "";
    return {
      retry: true,
      reason: `HTTP ${answer.status}${code}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }

  #meta(answer: Answer, started: number, attempts: number): UpstreamMeta {
    const requestId = answer.headers.get("x-request-id");
    const now = this.#now();
    const rateLimit = readRateLimit(answer.headers, now);
    return {
      httpStatus: answer.status,
      ...(answer.envelope ? { code: answer.envelope.code, message: answer.envelope.message } : {}),
      ...(requestId ? { requestId } : {}),
      ...(rateLimit ? { rateLimit } : {}),
      latencyMs: now - started,
      attempts,
    };
  }
}

const isSuccessStatus = (status: number): boolean => status >= 200 && status < 300;

const envelopeFields = (envelope: Envelope | undefined): { code?: number; upstreamMessage?: string } =>
  envelope ? { code: envelope.code, upstreamMessage: envelope.message } : {};

/** An answer outside the documented contract. */
const unexpectedAnswer = (answer: Answer, meta: UpstreamMeta): UpstreamError => {
  const envelope = answer.envelope;
  const what = envelope
    ? `code ${envelope.code} (${envelope.message})`
    : "a body that is not a {code, message, data} envelope";
  return new UpstreamError({
    upstream: UPSTREAM,
    retryable: isRetryableStatus(answer.status),
    message: `Procure-Core answered HTTP ${answer.status} with ${what}`,
    httpStatus: answer.status,
    ...envelopeFields(envelope),
    ...(meta.requestId ? { requestId: meta.requestId } : {}),
    ...(meta.attempts === undefined ? {} : { attempts: meta.attempts }),
  });
};

/** Procure-Core still answered 429 when retries or time ran out: its own `Retry-After` is passed on. */
const rateLimited = (answer: Answer, meta: UpstreamMeta, now: number): UpstreamRateLimitedError => {
  const retryAfterMs = retryAfterMsOf(answer.headers, now);
  return new UpstreamRateLimitedError({
    upstream: UPSTREAM,
    retryable: true,
    source: "upstream",
    retryAfterSeconds: retryAfterMs === undefined ? 1 : retryAfterMs / 1000,
    message: `Procure-Core answered HTTP 429 after ${meta.attempts ?? 1} attempt(s)`,
    httpStatus: 429,
    ...envelopeFields(answer.envelope),
    ...(meta.requestId ? { requestId: meta.requestId } : {}),
    ...(meta.attempts === undefined ? {} : { attempts: meta.attempts }),
  });
};

/**
 * No answer at all: retries ran out on network errors or timeouts, the caller aborted, or
 * fetch failed outright. The service's own errors (the budget refusing, its store down)
 * pass through as they are.
 */
const transportFailure = (
  error: unknown,
  attempts: number,
  signal: AbortSignal | undefined,
): CancellationServiceError => {
  if (error instanceof CancellationServiceError) return error;
  if (error instanceof RetriesExhaustedError) {
    return new UpstreamError(
      {
        upstream: UPSTREAM,
        retryable: true,
        message: `Procure-Core unreachable: ${error.message}`,
        attempts,
      },
      { cause: error },
    );
  }
  if (signal?.aborted) {
    return new UpstreamError(
      {
        upstream: UPSTREAM,
        retryable: true,
        message: "The Procure-Core call was aborted by the caller",
        attempts,
      },
      { cause: error },
    );
  }
  return new UpstreamError(
    {
      upstream: UPSTREAM,
      retryable: false,
      message: `The Procure-Core call failed: ${error instanceof Error ? error.message : String(error)}`,
      attempts,
    },
    { cause: error },
  );
};

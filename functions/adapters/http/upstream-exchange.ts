/**
 * The upstream exchange: how every upstream client sends a request, so that the rules are
 * written once.
 *
 * - A call's bounds: the caller's deadline (else the upstream's call timeout from now), its
 *   signal, and its priority for the budget.
 * - Attempts under the shared retry policy (retry-policy.ts): network errors, per-attempt
 *   timeouts, 5xx and 429 are tried again with the very same request (an `Idempotency-Key`
 *   stays the same), with backoff and full jitter, at least the answer's `Retry-After`;
 *   an answer the upstream's dialect calls final (Procure-Core's 50003) is not.
 * - Every attempt first takes a slot of the upstream budget (`UpstreamBudget`) with the
 *   call's priority, and every answer is shown to it.
 * - A 401 renews the credentials once and sends once more; a second 401 is
 *   `UpstreamAuthError`. A 429 left when retries or time ran out is
 *   `UpstreamRateLimitedError` with the upstream's own `Retry-After`; no answer at all is
 *   `UpstreamError` (upstream-failures.ts). Every other answer is the client's to read.
 * - Reports, for logs and metrics, never holding a token, a secret or a body: every HTTP
 *   attempt as it ends (`onAttempt`), every retry (`onRetry`) and every call as it ends
 *   (`onCall`, answered or thrown; its time includes retries, waits for slots and
 *   `Retry-After`, the credentials and their renewal). Requests sent on a call's behalf
 *   (A55's token request, through `send`) report their attempts, not a call of their own.
 *
 * An upstream is described by its registry entry (functions/adapters/upstreams/): its
 * name, label, call timeout and error dialect.
 */
import type { UpstreamName } from "#core/errors.ts";
import type { CallOptions, UpstreamMeta, UpstreamPriority } from "#core/ports.ts";
import { readRateLimit } from "../budget/rate-limit-headers.ts";
import { UNMETERED, type UpstreamBudget } from "../budget/upstream-budget.ts";
import {
  createRetryPolicy,
  DEFAULT_RETRY_SETTINGS,
  describeError,
  isRetryableStatus,
  isTransientFetchError,
  parseRetryAfter,
  type RetryEvent,
  type RetryPolicy,
  type RetryVerdict,
  systemRetryEnvironment,
} from "./retry-policy.ts";
import {
  type AnswerFacts,
  answerFailure,
  credentialsRefused,
  type FailedAnswer,
  noAnswer,
  rateLimited,
} from "./upstream-failures.ts";

/** One answer, its body read once by the upstream's dialect. */
export interface UpstreamAnswer<Body> {
  status: number;
  headers: Headers;
  body: Body;
}

/** How an upstream's answers read: the part of its registry entry the exchange needs. */
export interface UpstreamDialect<Body> {
  /** Reads a body once per answer; never throws (a body outside the contract reads as such). */
  parse(text: string): Body;
  /** What an answer says about itself, for errors, `meta` and retry reasons. */
  describe(answer: UpstreamAnswer<Body>): AnswerFacts;
  /** An answer whose status asks for a retry but which the upstream documents as final. */
  isFinal?(answer: UpstreamAnswer<Body>): boolean;
}

/** An upstream as the exchange knows it (a registry entry is one). */
export interface UpstreamProtocol<N extends string, Body> {
  name: N;
  label: string;
  callTimeoutMs: number;
  dialect: UpstreamDialect<Body>;
}

/** The bounds of one call: its deadline (epoch ms), the caller's signal, its priority. */
export interface CallBounds {
  deadline: number;
  signal?: AbortSignal | undefined;
  priority?: UpstreamPriority | undefined;
}

/** One request as sent; `prepare` runs at each attempt (a signature covers that instant). */
export interface UpstreamRequest {
  /** Whose budget it counts against: the client id the upstream limits by. */
  client: string;
  prepare(): { url: string; method: "GET" | "POST"; headers: Record<string, string>; body?: string };
}

/** What a call authenticates with, and the one renewal a 401 gets. */
export interface CallCredentials<A> {
  current(bounds: CallBounds): Promise<A>;
  renew(rejected: A, bounds: CallBounds): Promise<A>;
}

export interface Sent<Body> {
  answer: UpstreamAnswer<Body>;
  attempts: number;
  /** The answer still asked for a retry (5xx) when attempts or time ran out. */
  exhausted: boolean;
}

export interface Answered<Body> extends Sent<Body> {
  /** From the call's start to its answer. */
  latencyMs: number;
}

/** One HTTP attempt, as it ended. */
export interface AttemptEvent<N extends string = UpstreamName> {
  upstream: N;
  operation: string;
  attempt: number;
  httpStatus?: number;
  requestId?: string;
  latencyMs: number;
  /** Set when the attempt ended without an answer (network error, timeout). */
  error?: string;
}

export interface UpstreamRetryEvent<N extends string = UpstreamName> extends RetryEvent {
  upstream: N;
  operation: string;
}

/** One logical call, reported once as it ends (answered or thrown). */
export interface CallEvent<N extends string = UpstreamName> {
  upstream: N;
  operation: string;
  httpStatus?: number;
  latencyMs: number;
  attempts: number;
}

/** What every client of the service is built with (the composition root passes one set to all). */
export interface ExchangeOptions<N extends string = UpstreamName> {
  /**
   * Defaults to the shared policy with default settings on `now`. A policy passed in must
   * read the same clock: deadlines are computed with it.
   */
  retryPolicy?: RetryPolicy | undefined;
  fetch?: typeof fetch | undefined;
  /** The upstream budget every attempt takes a slot from. Default: none. */
  budget?: UpstreamBudget<N> | undefined;
  /** Epoch ms: deadlines, latencies, signatures, rate-limit resets. */
  now?: (() => number) | undefined;
  onAttempt?: ((event: AttemptEvent<N>) => void) | undefined;
  onRetry?: ((event: UpstreamRetryEvent<N>) => void) | undefined;
  onCall?: ((event: CallEvent<N>) => void) | undefined;
}

export class UpstreamExchange<N extends string, Body> {
  readonly upstream: UpstreamProtocol<N, Body>;
  readonly now: () => number;
  readonly #policy: RetryPolicy;
  readonly #fetch: typeof fetch;
  readonly #budget: UpstreamBudget<N>;
  readonly #options: ExchangeOptions<N>;

  constructor(upstream: UpstreamProtocol<N, Body>, options: ExchangeOptions<N> = {}) {
    this.upstream = upstream;
    this.now = options.now ?? Date.now;
    this.#policy =
      options.retryPolicy ??
      createRetryPolicy(DEFAULT_RETRY_SETTINGS, { ...systemRetryEnvironment, now: this.now });
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#budget = options.budget ?? UNMETERED;
    this.#options = options;
  }

  /** The bounds of a call made with `options`. */
  boundsOf(options: CallOptions | undefined, now: number = this.now()): CallBounds {
    return {
      deadline: options?.deadline ?? now + this.upstream.callTimeoutMs,
      signal: options?.signal,
      priority: options?.priority,
    };
  }

  /**
   * One logical call: the credentials, the attempts, the 401 rule, the 429 and no-answer
   * failures, and the `onCall` report. Returns every other answer, 5xx left included.
   */
  async call<A>(
    operation: string,
    options: CallOptions | undefined,
    credentials: CallCredentials<A>,
    request: (auth: A) => UpstreamRequest,
  ): Promise<Answered<Body>> {
    const started = this.now();
    const bounds = this.boundsOf(options, started);
    const count = { attempts: 0 };
    let httpStatus: number | undefined;
    try {
      let auth = await credentials.current(bounds);
      for (let renewed = false; ; renewed = true) {
        const sent = await this.#send(operation, bounds, request(auth), count);
        httpStatus = sent.answer.status;
        const answered = { ...sent, attempts: count.attempts, latencyMs: this.now() - started };
        if (httpStatus === 429) throw rateLimited(this.upstream, this.#failed(answered), this.now());
        if (httpStatus !== 401) return answered;
        if (renewed) throw credentialsRefused(this.upstream, this.#failed(answered));
        auth = await credentials.renew(auth, bounds);
      }
    } finally {
      this.#options.onCall?.({
        upstream: this.upstream.name,
        operation,
        ...(httpStatus === undefined ? {} : { httpStatus }),
        latencyMs: this.now() - started,
        attempts: count.attempts,
      });
    }
  }

  /**
   * One request on a call's behalf (A55's token request): attempts, slots and retries as
   * for a call, but no credentials rule and no `onCall`. Returns every answer; throws only
   * when none came back.
   */
  send(operation: string, bounds: CallBounds, request: UpstreamRequest): Promise<Sent<Body>> {
    return this.#send(operation, bounds, request, { attempts: 0 });
  }

  /** `meta` of an answer: status, what the dialect reads, the announced rate limit, time and attempts. */
  metaOf(answered: Answered<Body>): UpstreamMeta {
    const { answer } = answered;
    const facts = this.upstream.dialect.describe(answer);
    const rateLimit = readRateLimit(answer.headers, this.now());
    return {
      httpStatus: answer.status,
      ...(facts.code === undefined ? {} : { code: facts.code }),
      ...(facts.message === undefined ? {} : { message: facts.message }),
      ...(facts.requestId ? { requestId: facts.requestId } : {}),
      ...(rateLimit ? { rateLimit } : {}),
      latencyMs: answered.latencyMs,
      attempts: answered.attempts,
    };
  }

  /** An answer the client cannot use, as an `UpstreamError` in this upstream's words. */
  failure(answered: Answered<Body>, failure: { retryable: boolean; message: string }) {
    return answerFailure(this.upstream, this.#failed(answered), failure);
  }

  #failed(answered: Answered<Body>): FailedAnswer {
    const { answer } = answered;
    return {
      status: answer.status,
      headers: answer.headers,
      facts: this.upstream.dialect.describe(answer),
      attempts: answered.attempts,
    };
  }

  async #send(
    operation: string,
    bounds: CallBounds,
    request: UpstreamRequest,
    count: { attempts: number },
  ): Promise<Sent<Body>> {
    const { name } = this.upstream;
    try {
      return await this.#policy.run<UpstreamAnswer<Body>>({
        deadline: bounds.deadline,
        ...(bounds.signal ? { signal: bounds.signal } : {}),
        admit: () =>
          this.#budget.take({
            upstream: name,
            client: request.client,
            priority: bounds.priority,
            deadline: bounds.deadline,
            signal: bounds.signal,
          }),
        attempt: (attempt, signal) => {
          count.attempts++;
          return this.#attempt(operation, attempt, request, signal);
        },
        judge: (answer) => this.#judge(answer),
        isRetryableError: isTransientFetchError,
        onRetry: (event) => this.#options.onRetry?.({ upstream: name, operation, ...event }),
      });
    } catch (error) {
      throw noAnswer(this.upstream, operation, error, {
        attempts: count.attempts,
        aborted: bounds.signal?.aborted === true,
      });
    }
  }

  async #attempt(
    operation: string,
    attempt: number,
    request: UpstreamRequest,
    signal: AbortSignal,
  ): Promise<UpstreamAnswer<Body>> {
    const { name, dialect } = this.upstream;
    const started = this.now();
    const { url, ...init } = request.prepare();
    try {
      const response = await this.#fetch(url, { ...init, signal });
      this.#budget.observe({
        upstream: name,
        client: request.client,
        status: response.status,
        headers: response.headers,
      });
      // Read inside the attempt, so a body that stalls is cut by the same timeout.
      const text = await response.text();
      const requestId = response.headers.get("x-request-id");
      this.#options.onAttempt?.({
        upstream: name,
        operation,
        attempt,
        httpStatus: response.status,
        ...(requestId ? { requestId } : {}),
        latencyMs: this.now() - started,
      });
      return { status: response.status, headers: response.headers, body: dialect.parse(text) };
    } catch (error) {
      this.#options.onAttempt?.({
        upstream: name,
        operation,
        attempt,
        latencyMs: this.now() - started,
        error: describeError(error),
      });
      throw error;
    }
  }

  #judge(answer: UpstreamAnswer<Body>): RetryVerdict {
    const { dialect } = this.upstream;
    if (!isRetryableStatus(answer.status) || dialect.isFinal?.(answer)) return { retry: false };
    const { code } = dialect.describe(answer);
    const retryAfterMs = parseRetryAfter(answer.headers.get("retry-after"), this.now());
    return {
      retry: true,
      reason: `HTTP ${answer.status}${code === undefined ? "" : ` code ${code}`}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
}

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
 * name, label, call timeout and error dialect. What it is given and reports: exchange-types.ts.
 *
 * Written here, not taken from an HTTP client library (ky, got, undici's retry agent): none
 * asks an admission step (the budget's slot) before each attempt or stops at an absolute
 * deadline, and each would bring a second retry loop next to retry-policy.ts (which says why
 * that one is not a library either). What is here is the composition, ~150 lines.
 */
import type { CallOptions, UpstreamMeta } from "#core/ports.ts";
import { readRateLimit } from "../budget/rate-limit-headers.ts";
import { UNMETERED, type UpstreamBudget } from "../budget/upstream-budget.ts";
import { UPSTREAM_ANSWER_MAX_BYTES } from "../validation/upstream-text.ts";
import { readBoundedBody } from "./bounded-body.ts";
import type {
  Answered,
  CallBounds,
  CallCredentials,
  ExchangeOptions,
  Sent,
  UpstreamAnswer,
  UpstreamProtocol,
  UpstreamRequest,
} from "./exchange-types.ts";
import {
  createRetryPolicy,
  DEFAULT_RETRY_SETTINGS,
  describeError,
  isRetryableStatus,
  isTransientFetchError,
  parseRetryAfter,
  type RetryPolicy,
  type RetryVerdict,
  systemRetryEnvironment,
} from "./retry-policy.ts";
import {
  answerFailure,
  credentialsRefused,
  type FailedAnswer,
  noAnswer,
  rateLimited,
} from "./upstream-failures.ts";

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
      const read = await readBoundedBody(response, UPSTREAM_ANSWER_MAX_BYTES);
      const requestId = response.headers.get("x-request-id");
      this.#options.onAttempt?.({
        upstream: name,
        operation,
        attempt,
        httpStatus: response.status,
        ...(requestId ? { requestId } : {}),
        latencyMs: this.now() - started,
        ...(read.kind === "too-large" && { unreadBodyBytes: read.bytes }),
      });
      // A body too large to read reads as no body: outside the contract, as the dialect judges one.
      const text = read.kind === "text" ? read.text : "";
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
    if (!isRetryableStatus(answer.status) || dialect.endsRetries?.(answer)) return { retry: false };
    const { code } = dialect.describe(answer);
    const retryAfterMs = parseRetryAfter(answer.headers.get("retry-after"), this.now());
    return {
      retry: true,
      reason: `HTTP ${answer.status}${code === undefined ? "" : ` code ${code}`}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
}

/**
 * The A55 charge-cancel client (seed 001):
 * `POST {baseUrl}/api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}/` with a
 * bearer token, `Idempotency-Key` and body `{reason}`.
 *
 * - Ids and the idempotency key are checked by shape (any 8-4-4-4-12 hex: the seed's own
 *   example ids are not version 4) before anything is sent: `ValidationError`.
 * - Network errors, timeouts, 5xx and 429 are retried by the shared policy, each attempt
 *   with the same `Idempotency-Key` and body, so A55 applies the cancel at most once.
 * - Every attempt, token requests included, takes a slot from the shared upstream budget
 *   (`budget`) with the call's priority; refused, it throws `UpstreamRateLimitedError`.
 * - A 401 renews the token once (token-source.ts) and sends once more; a second 401 is
 *   `UpstreamAuthError`.
 * - Documented answers become `ChargeCancelResult` values (a55-response.ts).
 */
import { ValidationError } from "#core/errors.ts";
import type { CallOptions, CancelChargeRequest, ChargeCancelResult, ChargesUpstream } from "#core/ports.ts";
import { type AttemptBudget, UNMETERED } from "../http/attempt-budget.ts";
import {
  createRetryPolicy,
  DEFAULT_RETRY_SETTINGS,
  type RetryPolicy,
  systemRetryEnvironment,
} from "../http/retry-policy.ts";
import { type A55CallEvent, type A55RetryEvent, type Budget, exchange, type HttpDeps } from "./a55-http.ts";
import { interpretCancelAnswer } from "./a55-response.ts";
import type { A55Credentials } from "./a55-settings.ts";
import { type BearerAuth, TokenSource } from "./token-source.ts";

/** Used when the caller passes no deadline. */
export const DEFAULT_CALL_BUDGET_MS = 20_000;

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface A55ClientOptions {
  credentials: A55Credentials;
  /**
   * Defaults to the shared policy with `DEFAULT_RETRY_SETTINGS` on the client's clock. A
   * policy passed in must read the same clock as `now`: deadlines are computed with it.
   */
  retryPolicy?: RetryPolicy;
  fetch?: typeof fetch;
  /** The shared upstream budget every attempt (token requests included) takes a slot from. Default: none. */
  budget?: AttemptBudget;
  /** Epoch ms: token expiry, deadlines and rate-limit resets are read with it. */
  now?: () => number;
  onRetry?: (event: A55RetryEvent) => void;
  /** Every HTTP attempt (cancel and token endpoint), for logs and metrics. */
  onCall?: (event: A55CallEvent) => void;
}

export class A55Client implements ChargesUpstream {
  readonly #http: HttpDeps;
  readonly #tokens: TokenSource;

  constructor(options: A55ClientOptions) {
    const now = options.now ?? Date.now;
    this.#http = {
      fetch: options.fetch ?? globalThis.fetch,
      budget: options.budget ?? UNMETERED,
      policy:
        options.retryPolicy ?? createRetryPolicy(DEFAULT_RETRY_SETTINGS, { ...systemRetryEnvironment, now }),
      now,
      onRetry: options.onRetry,
      onCall: options.onCall,
    };
    this.#tokens = new TokenSource(options.credentials, this.#http);
  }

  /**
   * Cancels one charge.
   *
   * @throws ValidationError when an id or the key is not a UUID, before any request
   * @throws UpstreamAuthError when A55 rejects the credentials twice
   * @throws UpstreamError when A55 answers outside its contract or cannot be reached within the budget
   */
  async cancelCharge(request: CancelChargeRequest, options?: CallOptions): Promise<ChargeCancelResult> {
    validate(request);
    const started = performance.now();
    const budget: Budget = {
      deadline: options?.deadline ?? this.#http.now() + DEFAULT_CALL_BUDGET_MS,
      signal: options?.signal,
      priority: options?.priority,
    };
    const body = JSON.stringify(request.reason === undefined ? {} : { reason: request.reason });

    let auth = await this.#tokens.current(budget);
    let sent = await this.#send(auth, request, body, budget);
    let attempts = sent.attempts;
    if (sent.answer.status === 401) {
      auth = await this.#tokens.renew(auth, budget);
      sent = await this.#send(auth, request, body, budget);
      attempts += sent.attempts;
    }
    return interpretCancelAnswer(sent.answer, {
      attempts,
      latencyMs: Math.round(performance.now() - started),
      now: this.#http.now(),
    });
  }

  #send(auth: BearerAuth, request: CancelChargeRequest, body: string, budget: Budget) {
    return exchange(
      this.#http,
      "cancel-charge",
      {
        client: auth.client,
        url: cancelUrl(auth.baseUrl, request),
        method: "POST",
        headers: {
          Authorization: `Bearer ${auth.accessToken}`,
          "Content-Type": "application/json",
          Accept: "application/json",
          "Idempotency-Key": request.idempotencyKey,
        },
        body,
      },
      budget,
    );
  }
}

/** The cancel route; the trailing slash is part of it. Ids are validated, so need no encoding. */
const cancelUrl = (baseUrl: string, request: CancelChargeRequest): string =>
  `${baseUrl.replace(/\/+$/, "")}/api/v1/bank/wallet/charge/${request.chargeUuid}/cancel/${request.walletUuid}/`;

const validate = (request: CancelChargeRequest): void => {
  for (const field of ["chargeUuid", "walletUuid", "idempotencyKey"] as const) {
    const value: unknown = request[field];
    if (typeof value !== "string" || !UUID_SHAPE.test(value)) {
      throw new ValidationError(field, `${field} must be a UUID (8-4-4-4-12 hex digits)`);
    }
  }
  if (request.reason !== undefined && typeof request.reason !== "string") {
    throw new ValidationError("reason", "reason must be a string when given");
  }
};

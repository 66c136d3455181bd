/**
 * The A55 charge-cancel client (seed 001):
 * `POST {baseUrl}/api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}/` with a
 * bearer token, `Idempotency-Key` and body `{reason}`.
 *
 * - Ids and the idempotency key are checked by shape (any 8-4-4-4-12 hex: the seed's own
 *   example ids are not version 4) before anything is sent: `ValidationError`.
 * - Sent through the upstream exchange (functions/adapters/http/upstream-exchange.ts):
 *   network errors, timeouts, 5xx and 429 are retried, each attempt with the same
 *   `Idempotency-Key` and body, so A55 applies the cancel at most once; every attempt,
 *   token requests included, takes a slot of the upstream budget with the call's priority;
 *   a 401 renews the token once (token-source.ts) and sends once more.
 * - Documented answers become `ChargeCancelResult` values (a55-response.ts).
 */
import type { ExchangeOptions } from "#adapters/http/exchange-types.ts";
import { UpstreamExchange } from "#adapters/http/upstream-exchange.ts";
import { ValidationError } from "#core/errors.ts";
import { isValidUuid } from "#core/identifiers.ts";
import type { CallOptions, CancelChargeRequest, ChargeCancelResult, ChargesUpstream } from "#core/ports.ts";
import { interpretCancelAnswer } from "./a55-response.ts";
import { type A55Body, type A55Credentials, a55Upstream } from "./a55-upstream.ts";
import { TokenSource } from "./token-source.ts";

export interface A55ClientOptions extends ExchangeOptions {
  credentials: A55Credentials;
}

export class A55Client implements ChargesUpstream {
  readonly #exchange: UpstreamExchange<"a55", A55Body>;
  readonly #tokens: TokenSource;

  constructor(options: A55ClientOptions) {
    this.#exchange = new UpstreamExchange<"a55", A55Body>(a55Upstream, options);
    this.#tokens = new TokenSource(options.credentials, this.#exchange);
  }

  /**
   * Cancels one charge.
   *
   * @throws ValidationError when an id or the key is not a UUID, before any request
   * @throws UpstreamAuthError when A55 rejects the credentials twice
   * @throws UpstreamRateLimitedError when the budget refuses, or A55 still answers 429 at the end
   * @throws UpstreamError when A55 answers outside its contract or cannot be reached in time
   */
  async cancelCharge(request: CancelChargeRequest, options?: CallOptions): Promise<ChargeCancelResult> {
    validate(request);
    const body = JSON.stringify(request.reason === undefined ? {} : { reason: request.reason });
    const answered = await this.#exchange.call("cancelCharge", options, this.#tokens, (auth) => ({
      client: auth.client,
      prepare: () => ({
        url: cancelUrl(auth.baseUrl, request),
        method: "POST",
        headers: {
          Authorization: `Bearer ${auth.accessToken}`,
          "Content-Type": "application/json",
          Accept: "application/json",
          "Idempotency-Key": request.idempotencyKey,
        },
        body,
      }),
    }));
    return interpretCancelAnswer(answered, this.#exchange);
  }
}

/** The cancel route; the trailing slash is part of it. Ids are validated, so need no encoding. */
const cancelUrl = (baseUrl: string, request: CancelChargeRequest): string =>
  `${baseUrl.replace(/\/+$/, "")}/api/v1/bank/wallet/charge/${request.chargeUuid}/cancel/${request.walletUuid}/`;

const validate = (request: CancelChargeRequest): void => {
  for (const field of ["chargeUuid", "walletUuid", "idempotencyKey"] as const) {
    const value: unknown = request[field];
    if (!isValidUuid(value)) {
      throw new ValidationError(field, `${field} must be a UUID (8-4-4-4-12 hex digits)`);
    }
  }
  if (request.reason !== undefined && typeof request.reason !== "string") {
    throw new ValidationError("reason", "reason must be a string when given");
  }
};

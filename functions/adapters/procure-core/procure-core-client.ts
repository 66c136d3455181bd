/**
 * The Procure-Core client (seed 000): cancel, read and list procurement intents.
 *
 * Every request is signed over the exact path, query and (empty) body that are sent
 * (`request-signature.ts`) at the instant its attempt is sent, and goes through the
 * upstream exchange (functions/adapters/http/upstream-exchange.ts): network errors,
 * per-attempt timeouts, 429 (honouring `Retry-After`) and 5xx are retried — except 50003
 * "取消操作失败", a documented business answer that arrives as HTTP 500 (the dialect,
 * procure-core-upstream.ts); every attempt takes a slot of the upstream budget; a 401
 * refreshes the credentials once and tries once more. When the answer announces
 * `X-RateLimit-*` (the seed does not; the sandbox does when its limit is on),
 * `meta.rateLimit` carries it.
 *
 * The seed's codes become typed results (ports.ts); any other code, or a body that is not
 * a `{code, message, data}` envelope, is an `UpstreamError` carrying the HTTP status, code
 * and message, retryable when the status was 5xx or 429. Ids that do not match
 * `intent-id.ts` are refused with `ValidationError` before anything is sent.
 */
import type { Answered, ExchangeOptions } from "#adapters/http/exchange-types.ts";
import { UpstreamExchange } from "#adapters/http/upstream-exchange.ts";
import type { UpstreamError } from "#core/errors.ts";
import type {
  CallOptions,
  IntentCancelResult,
  IntentPage,
  IntentReadResult,
  IntentsUpstream,
  ListIntentsQuery,
} from "#core/ports.ts";
import { signRequest } from "../http/request-signature.ts";
import { isRetryableStatus } from "../http/retry-policy.ts";
import {
  PROCURE_CORE_CODES as CODES,
  type Envelope,
  readIntentDetails,
  readIntentPage,
  readIntentView,
  readNotCancellable,
  readReason,
} from "./envelope.ts";
import { assertIntentId } from "./intent-id.ts";
import { toListQueryString } from "./list-query.ts";
import {
  type ProcureCoreCredentialSource,
  type ProcureCoreCredentials,
  procureCoreUpstream,
} from "./procure-core-upstream.ts";

export interface ProcureCoreClientOptions extends ExchangeOptions {
  credentials: ProcureCoreCredentialSource;
}

type Answer = Answered<Envelope | undefined>;

export class ProcureCoreClient implements IntentsUpstream {
  readonly #exchange: UpstreamExchange<"procure-core", Envelope | undefined>;
  readonly #credentials: {
    current(): Promise<ProcureCoreCredentials>;
    renew(): Promise<ProcureCoreCredentials>;
  };

  constructor(options: ProcureCoreClientOptions) {
    this.#exchange = new UpstreamExchange<"procure-core", Envelope | undefined>(procureCoreUpstream, options);
    const source = options.credentials;
    this.#credentials = { current: () => source.get(), renew: () => source.refresh() };
  }

  /** `POST /api/v1/intents/{id}/cancel`. A PROCESSING intent may be `accepted` while still PROCESSING (asynchronous cancel). */
  async cancelIntent(id: string, options?: CallOptions): Promise<IntentCancelResult> {
    assertIntentId(id);
    const answered = await this.#call("cancelIntent", "POST", `/api/v1/intents/${id}/cancel`, options);
    const { status, body: envelope } = answered.answer;
    const meta = this.#exchange.metaOf(answered);
    switch (envelope?.code) {
      case CODES.ok: {
        const intent = isSuccessStatus(status) ? readIntentView(envelope.data) : undefined;
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
    throw this.#unexpected(answered);
  }

  /** `GET /api/v1/intents/{id}`. */
  async getIntent(id: string, options?: CallOptions): Promise<IntentReadResult> {
    assertIntentId(id);
    const answered = await this.#call("getIntent", "GET", `/api/v1/intents/${id}`, options);
    const { status, body: envelope } = answered.answer;
    const meta = this.#exchange.metaOf(answered);
    switch (envelope?.code) {
      case CODES.ok: {
        const intent = isSuccessStatus(status) ? readIntentDetails(envelope.data) : undefined;
        if (intent) return { kind: "found", intent, meta };
        break;
      }
      case CODES.notFound:
        return { kind: "not-found", message: envelope.message, meta };
      case CODES.forbidden:
        return { kind: "forbidden", message: envelope.message, meta };
    }
    throw this.#unexpected(answered);
  }

  /** `GET /api/v1/intents?…` — query and answer shapes are our assumption, see `list-query.ts`. */
  async listIntents(query: ListIntentsQuery, options?: CallOptions): Promise<IntentPage> {
    const queryString = toListQueryString(query);
    const route = queryString ? `/api/v1/intents?${queryString}` : "/api/v1/intents";
    const answered = await this.#call("listIntents", "GET", route, options);
    const { status, body: envelope } = answered.answer;
    const page =
      envelope?.code === CODES.ok && isSuccessStatus(status) ? readIntentPage(envelope.data) : undefined;
    if (page) return page;
    throw this.#unexpected(answered);
  }

  /** One signed request through the exchange, signed anew at each attempt with the credentials of the moment. */
  #call(operation: string, method: "GET" | "POST", route: string, options: CallOptions | undefined) {
    return this.#exchange.call(operation, options, this.#credentials, (credentials) => {
      const base = new URL(credentials.baseUrl);
      // A base URL may carry a path prefix; the signed path is the full path sent.
      const pathAndQuery = `${base.pathname.replace(/\/+$/, "")}${route}`;
      const url = `${base.origin}${pathAndQuery}`;
      return {
        client: credentials.appId,
        prepare: () => ({
          url,
          method,
          headers: {
            accept: "application/json",
            ...signRequest(credentials, { method, pathAndQuery, body: "" }, this.#exchange.now()),
          },
        }),
      };
    });
  }

  /** An answer outside the documented contract. */
  #unexpected(answered: Answer): UpstreamError<"procure-core"> {
    const { status, body: envelope } = answered.answer;
    const what = envelope
      ? `code ${envelope.code} (${envelope.message})`
      : "a body that is not a {code, message, data} envelope";
    return this.#exchange.failure(answered, {
      retryable: isRetryableStatus(status),
      message: `Procure-Core answered HTTP ${status} with ${what}`,
    });
  }
}

const isSuccessStatus = (status: number): boolean => status >= 200 && status < 300;

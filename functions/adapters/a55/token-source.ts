/**
 * The bearer token for A55 calls: a fixed token from the `a55` secret, or one obtained
 * with OAuth2 `client_credentials` (form POST to `tokenUrl`) and cached until 60 s before
 * its `expires_in`, by the injected clock. Concurrent callers share one token request.
 *
 * Rejections: `renew()` is called once when A55 answers 401. A fixed token is re-read
 * with `credentials.refresh()` (it may have been rotated); an OAuth token is dropped and
 * a new one requested. When the token endpoint itself rejects the client, the credentials
 * are refreshed once and the request repeated; a second rejection is `UpstreamAuthError`.
 *
 * Token requests go through the upstream exchange's `send` (slots, retries and per-attempt
 * reports as for a call, inside the call they serve) and take a slot from A55's shared budget
 * like every other request. A55
 * documents 100 requests per minute per client without saying whether its token endpoint
 * counts; counting it is the side that cannot exceed the limit, and costs one slot per
 * container and token lifetime (an hour).
 */
import * as v from "valibot";
import { retryAfterMsOf } from "#adapters/budget/rate-limit-headers.ts";
import type { CallBounds, CallCredentials } from "#adapters/http/exchange-types.ts";
import type { UpstreamExchange } from "#adapters/http/upstream-exchange.ts";
import { UpstreamAuthError, UpstreamError, UpstreamRateLimitedError } from "#core/errors.ts";
import {
  type A55Body,
  type A55ClientCredentialsSettings,
  type A55Credentials,
  type A55Settings,
  isStaticToken,
} from "./a55-upstream.ts";

/** Tokens are renewed this long before they expire. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

/** What a call needs: where to send it, the token to send, and whose rate limit it counts against. */
export interface BearerAuth {
  baseUrl: string;
  accessToken: string;
  kind: "static" | "oauth";
  /** The budget key: the OAuth client id, or `static-token` (a fixed token names no client). */
  client: string;
}

/** The budget key of calls made with a fixed token. */
export const STATIC_TOKEN_CLIENT = "static-token";

interface CachedToken {
  key: string;
  auth: BearerAuth;
  /** Epoch ms after which the token is no longer handed out. */
  renewAt: number;
}

const tokenAnswerSchema = v.object({
  access_token: v.pipe(v.string(), v.minLength(1)),
  expires_in: v.optional(v.pipe(v.union([v.number(), v.pipe(v.string(), v.decimal())]), v.transform(Number))),
  token_type: v.pipe(
    v.string(),
    v.check((type) => type.toLowerCase() === "bearer"),
  ),
});

const oauthErrorSchema = v.object({ error: v.string(), error_description: v.optional(v.string()) });

/** Used when the token endpoint does not say how long its token lives (A55 says 3600). */
const DEFAULT_EXPIRES_IN_SECONDS = 3600;

/** Thrown inside this module when the token endpoint rejects the client credentials. */
class ClientRejected extends Error {
  readonly httpStatus: number;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  constructor(httpStatus: number, code: string | undefined, requestId: string | undefined) {
    super(`A55 token endpoint rejected the client (HTTP ${httpStatus}${code ? ` ${code}` : ""})`);
    this.httpStatus = httpStatus;
    this.code = code;
    this.requestId = requestId;
  }
}

/** The credentials rule of A55 calls (upstream-exchange.ts): the token to send, and its one renewal on 401. */
export class TokenSource implements CallCredentials<BearerAuth> {
  readonly #credentials: A55Credentials;
  readonly #exchange: UpstreamExchange<"a55", A55Body>;
  #cached: CachedToken | undefined;
  #inflight: { key: string; promise: Promise<BearerAuth> } | undefined;

  constructor(credentials: A55Credentials, exchange: UpstreamExchange<"a55", A55Body>) {
    this.#credentials = credentials;
    this.#exchange = exchange;
  }

  /** The token to use now. */
  async current(bounds: CallBounds): Promise<BearerAuth> {
    return this.#for(await this.#credentials.get(), bounds);
  }

  /** A replacement for `rejected`, which A55 answered 401 to. */
  async renew(rejected: BearerAuth, bounds: CallBounds): Promise<BearerAuth> {
    if (rejected.kind === "static") return this.#for(await this.#credentials.refresh(), bounds);
    // Only drop the cache if it still holds the rejected token: a concurrent caller may have renewed it already.
    if (this.#cached?.auth.accessToken === rejected.accessToken) this.#cached = undefined;
    return this.current(bounds);
  }

  async #for(settings: A55Settings, bounds: CallBounds): Promise<BearerAuth> {
    if (isStaticToken(settings)) {
      return {
        baseUrl: settings.baseUrl,
        accessToken: settings.accessToken,
        kind: "static",
        client: STATIC_TOKEN_CLIENT,
      };
    }
    const key = cacheKey(settings);
    const cached = this.#cached;
    if (cached && cached.key === key && this.#exchange.now() < cached.renewAt) return cached.auth;
    if (this.#inflight?.key === key) return this.#inflight.promise;
    const promise = this.#obtain(settings, bounds).finally(() => {
      if (this.#inflight?.promise === promise) this.#inflight = undefined;
    });
    this.#inflight = { key, promise };
    return promise;
  }

  async #obtain(settings: A55ClientCredentialsSettings, bounds: CallBounds): Promise<BearerAuth> {
    try {
      return await this.#request(settings, bounds);
    } catch (error) {
      if (!(error instanceof ClientRejected)) throw error;
      const refreshed = await this.#credentials.refresh();
      if (isStaticToken(refreshed)) return this.#for(refreshed, bounds);
      try {
        return await this.#request(refreshed, bounds);
      } catch (second) {
        if (!(second instanceof ClientRejected)) throw second;
        throw new UpstreamAuthError(
          {
            upstream: "a55",
            retryable: false,
            message: `${second.message}, also after refreshing the credentials`,
            httpStatus: second.httpStatus,
            code: second.code,
            requestId: second.requestId,
          },
          { cause: second },
        );
      }
    }
  }

  async #request(settings: A55ClientCredentialsSettings, bounds: CallBounds): Promise<BearerAuth> {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
    });
    if (settings.scope) form.set("scope", settings.scope);
    const requestedAt = this.#exchange.now();
    const body = form.toString();
    const { answer, attempts } = await this.#exchange.send("requestToken", bounds, {
      client: settings.clientId,
      prepare: () => ({
        url: settings.tokenUrl,
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body,
      }),
    });
    const { json } = answer.body;
    const requestId = answer.headers.get("x-request-id") ?? undefined;
    if (answer.status >= 200 && answer.status < 300) {
      const token = v.safeParse(tokenAnswerSchema, json);
      if (!token.success) {
        throw new UpstreamError({
          upstream: "a55",
          retryable: false,
          message: "A55 token endpoint answered without a usable bearer token",
          httpStatus: answer.status,
          requestId,
          attempts,
        });
      }
      const lifetimeMs = (token.output.expires_in ?? DEFAULT_EXPIRES_IN_SECONDS) * 1000;
      const auth: BearerAuth = {
        baseUrl: settings.baseUrl,
        accessToken: token.output.access_token,
        kind: "oauth",
        client: settings.clientId,
      };
      this.#cached = {
        key: cacheKey(settings),
        auth,
        renewAt: requestedAt + lifetimeMs - TOKEN_REFRESH_MARGIN_MS,
      };
      return auth;
    }
    const oauthError = v.safeParse(oauthErrorSchema, json);
    const code = oauthError.success ? oauthError.output.error : undefined;
    // RFC 6749 §5.2: a bad client is 401 (or 400) invalid_client; 400 also covers grants the client may not use.
    if (answer.status === 401 || answer.status === 403 || (answer.status === 400 && isClientError(code))) {
      throw new ClientRejected(answer.status, code, requestId);
    }
    const failure = {
      upstream: "a55" as const,
      retryable: answer.status === 429 || answer.status >= 500,
      message: `A55 token endpoint answered HTTP ${answer.status}${code ? ` ${code}` : ""}`,
      httpStatus: answer.status,
      code,
      upstreamMessage: oauthError.success ? oauthError.output.error_description : undefined,
      requestId,
      attempts,
    };
    if (answer.status === 429) {
      const retryAfterMs = retryAfterMsOf(answer.headers, this.#exchange.now());
      throw new UpstreamRateLimitedError({
        ...failure,
        source: "upstream",
        retryAfterSeconds: retryAfterMs === undefined ? 1 : retryAfterMs / 1000,
      });
    }
    throw new UpstreamError(failure);
  }
}

const isClientError = (code: string | undefined): boolean =>
  code === "invalid_client" || code === "unauthorized_client" || code === "invalid_grant";

const cacheKey = (settings: A55ClientCredentialsSettings): string =>
  JSON.stringify([settings.tokenUrl, settings.clientId, settings.clientSecret, settings.scope ?? null]);

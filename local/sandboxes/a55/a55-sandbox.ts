/**
 * A contract simulator of A55's charge cancel (seed 001) plus the public facts beyond it
 * (OAuth2 client_credentials tokens, 100 requests/minute per client, a request id on
 * every answer), on 127.0.0.1 with demo data and the shared fault knobs.
 *
 * Routes:
 *   POST /oauth/token                                                     token-issuer.ts
 *   POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}/   cancel-route.ts
 *   anything else                                                         404 ROUTE_NOT_FOUND
 *
 * Choices the seed leaves open, made here:
 * - The trailing slash is part of the route: without it the answer is 404 (with a hint),
 *   as a framework that cannot redirect a POST would answer. Other methods are 404 too.
 * - The request id travels in the `X-Request-Id` header of every answer (token endpoint,
 *   errors and injected faults included), never in the body: the seed's bodies are
 *   reproduced exactly.
 * - The rate limit (rate-limiter.ts) counts every request except the token endpoint's,
 *   per client; requests without a valid token share the bucket "anonymous". Every such
 *   answer carries `X-RateLimit-*` unless the limit is disabled (0).
 * - Bodies beyond 1 MiB get the shared plumbing's 413 before reaching this code.
 */
import { randomUUID } from "node:crypto";
import type { FaultSettings } from "../fault-injector.ts";
import { FixedWindowRateLimiter, RequestRateMeter, rateLimitHeaders } from "../rate-limiter.ts";
import {
  EffectCounter,
  type RunningSandbox,
  type SandboxRequest,
  type SandboxResponse,
  startSandboxServer,
} from "../sandbox-server.ts";
import { a55ErrorBody, INTERNAL_ERROR, RATE_LIMITED_ERROR, UNAUTHORIZED_ERRORS } from "./a55-errors.ts";
import { CANCEL_PATH, handleCancel } from "./cancel-route.ts";
import { ChargeStore } from "./charge-store.ts";
import { demoCredentials, seedDemoCharges } from "./demo-charges.ts";
import { IdempotencyReplay } from "./idempotency-replay.ts";
import { type OAuthClient, type StaticTokenGrant, TokenIssuer } from "./token-issuer.ts";

export interface A55SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Fixed bearer tokens; added to the demo token when `demo` is on. */
  staticTokens?: Record<string, StaticTokenGrant>;
  /** OAuth2 clients by client id; added to the demo client when `demo` is on. */
  oauthClients?: Record<string, OAuthClient>;
  /** Lifetime of tokens issued by `/oauth/token`. Default 3600. */
  tokenTtlSeconds?: number;
  /** Requests per minute and client. Default 100; 0 disables the limit. */
  rateLimitPerMinute?: number;
  /**
   * The limit's window, seconds. Default 60 (as documented); shorter windows scale a run down
   * in time (`rateLimitPerMinute` requests per window), for reduced simulations.
   */
  rateLimitWindowSeconds?: number;
  faults?: Partial<FaultSettings>;
  /** Epoch ms; drives token expiry, the rate-limit window and idempotency-key expiry. */
  now?: () => number;
  /** Demo wallets, charges and credentials (demo-charges.ts). Default true. */
  demo?: boolean;
}

/** One request as the sandbox saw it (faulted ones included; connection resets and hangs are not). */
export interface SeenRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  status: number;
  replayed: boolean;
  fault?: "error" | "rate-limit";
  requestId: string;
}

/** What the rate limit saw. */
export interface A55RateLimitStats {
  /** Requests answered 429 by the limit (injected 429s not included). */
  readonly refused: number;
  /** Most requests of one client (or of any client) that arrived within one window, refused ones included. */
  peakPerWindow(clientId?: string): number;
}

export interface RunningA55Sandbox extends RunningSandbox {
  /** `${url}/oauth/token`. */
  tokenUrl: string;
  charges: ChargeStore;
  tokens: {
    /** Requests that reached the token endpoint. */
    readonly requests: number;
    /** Issues a token for an OAuth client without going through HTTP. */
    issue(clientId: string): string;
    /** Invalidates every issued token (fixed tokens stay valid). */
    revokeIssued(): void;
  };
  /** Every request seen, oldest first. */
  seen(): readonly SeenRequest[];
  rateLimit: A55RateLimitStats;
}

const ROUTE_NOT_FOUND = {
  code: "ROUTE_NOT_FOUND",
  source: "request",
  description: "No such route.",
};

/** Starts the A55 sandbox on 127.0.0.1. */
export const startA55Sandbox = async (options: A55SandboxOptions = {}): Promise<RunningA55Sandbox> => {
  const now = options.now ?? Date.now;
  const demo = options.demo ?? true;
  const demoCreds = demo ? demoCredentials() : { staticTokens: {}, oauthClients: {} };
  const charges = new ChargeStore();
  if (demo) seedDemoCharges(charges);
  const issuer = new TokenIssuer({
    staticTokens: { ...demoCreds.staticTokens, ...options.staticTokens },
    oauthClients: { ...demoCreds.oauthClients, ...options.oauthClients },
    ttlSeconds: options.tokenTtlSeconds ?? 3600,
    now,
  });
  const windowMs = (options.rateLimitWindowSeconds ?? 60) * 1000;
  const limiter = new FixedWindowRateLimiter({ limit: options.rateLimitPerMinute ?? 100, now, windowMs });
  const meter = new RequestRateMeter({ now, windowMs });
  let refused = 0;
  const replay = new IdempotencyReplay({ now });
  const effects = new EffectCounter();
  const seen: SeenRequest[] = [];

  const log = (
    request: SandboxRequest,
    response: SandboxResponse,
    requestId: string,
    extra: { replayed?: boolean; fault?: "error" | "rate-limit" } = {},
  ): SandboxResponse => {
    seen.push({
      method: request.method,
      path: request.path,
      idempotencyKey: request.header("idempotency-key"),
      status: response.status,
      replayed: extra.replayed ?? false,
      ...(extra.fault ? { fault: extra.fault } : {}),
      requestId,
    });
    return { ...response, headers: { ...response.headers, "X-Request-Id": requestId } };
  };

  const clientOf = (request: SandboxRequest) => {
    const bearer = issuer.resolve(request.header("authorization"));
    return { bearer, clientKey: bearer.kind === "ok" ? bearer.owner.clientId : "anonymous" };
  };

  const handle = (request: SandboxRequest): SandboxResponse => {
    const requestId = randomUUID();
    if (request.path === "/oauth/token" && request.method === "POST") {
      return log(request, issuer.handleTokenRequest(request), requestId);
    }
    const { bearer, clientKey } = clientOf(request);
    meter.record(clientKey);
    const limit = limiter.take(clientKey);
    const headers = rateLimitHeaders(limit);
    const match = CANCEL_PATH.exec(request.path);
    const chargeSegment = match?.[1] ?? null;
    if (!limit.allowed) {
      refused++;
      headers["Retry-After"] = String(limit.retryAfterSeconds);
      return log(
        request,
        { status: 429, headers, body: a55ErrorBody(chargeSegment, [RATE_LIMITED_ERROR]) },
        requestId,
      );
    }
    if (!match?.[1] || !match[2] || request.method !== "POST") {
      const hint = CANCEL_PATH.test(`${request.path}/`) ? " The cancel route ends with a slash." : "";
      const error = { ...ROUTE_NOT_FOUND, description: `${ROUTE_NOT_FOUND.description}${hint}` };
      return log(request, { status: 404, headers, body: a55ErrorBody(null, [error]) }, requestId);
    }
    if (bearer.kind !== "ok") {
      headers["WWW-Authenticate"] = 'Bearer realm="a55", error="invalid_token"';
      const body = a55ErrorBody(match[1], [UNAUTHORIZED_ERRORS[bearer.kind]]);
      return log(request, { status: 401, headers, body }, requestId);
    }
    const answer = handleCancel(
      { store: charges, replay, effects, now },
      request,
      bearer.owner,
      match[1],
      match[2],
    );
    if (answer.replayed) headers["Idempotent-Replayed"] = "true";
    return log(request, { status: answer.status, headers, body: answer.body }, requestId, {
      replayed: answer.replayed,
    });
  };

  const faultResponse = (
    kind: "error" | "rate-limit",
    retryAfterSeconds: number,
    request: SandboxRequest,
  ): SandboxResponse => {
    const requestId = randomUUID();
    const retryAfter = { "Retry-After": String(retryAfterSeconds) };
    if (request.path === "/oauth/token") {
      const response: SandboxResponse =
        kind === "error"
          ? { status: 500, body: { error: "server_error", error_description: "Injected fault." } }
          : {
              status: 429,
              headers: retryAfter,
              body: { error: "rate_limited", error_description: "Injected fault." },
            };
      return log(request, response, requestId, { fault: kind });
    }
    const state = limiter.peek(clientOf(request).clientKey);
    const chargeUuid = CANCEL_PATH.exec(request.path)?.[1] ?? null;
    const response: SandboxResponse =
      kind === "error"
        ? { status: 500, headers: rateLimitHeaders(state), body: a55ErrorBody(chargeUuid, [INTERNAL_ERROR]) }
        : {
            status: 429,
            headers: {
              ...rateLimitHeaders({ ...state, remaining: 0, resetAtMs: now() + retryAfterSeconds * 1000 }),
              ...retryAfter,
            },
            body: a55ErrorBody(chargeUuid, [RATE_LIMITED_ERROR]),
          };
    return log(request, response, requestId, { fault: kind });
  };

  const server = await startSandboxServer({
    name: "a55",
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.faults ? { faults: options.faults } : {}),
    maxBodyBytes: 1024 * 1024,
    effects,
    handle,
    faultResponse,
  });

  return {
    ...server,
    tokenUrl: `${server.url}/oauth/token`,
    charges,
    tokens: {
      get requests() {
        return issuer.tokenRequests;
      },
      issue: (clientId) => issuer.issue(clientId).accessToken,
      revokeIssued: () => issuer.revokeIssued(),
    },
    seen: () => seen,
    rateLimit: {
      get refused() {
        return refused;
      },
      peakPerWindow: (clientId) => meter.peak(clientId),
    },
  };
};

/**
 * The Procure-Core sandbox: a contract simulator of seed 000 on 127.0.0.1, with the
 * shared fault knobs and effect counter (`sandbox-server.ts`), signed-request checking,
 * app ownership, the seed's cancel state table, asynchronous PROCESSING cancels on an
 * injected clock, and demo data (`demo-intents.ts`).
 *
 * The seed publishes no rate limit, so by default there is none. `rateLimitPerMinute`
 * turns on the shared one (`../rate-limiter.ts`, as A55's): per app, keyed by the
 * `X-App-Id` sent (`anonymous` without one) and counted before anything else is checked;
 * every answer then carries `X-RateLimit-*`, and one over the limit is a 429 (code 42900)
 * with `Retry-After`. `rateLimit` reports what clients really sent (a sliding-window peak)
 * and how many requests were refused.
 */
import type { FaultSettings } from "../fault-injector.ts";
import { FixedWindowRateLimiter, RequestRateMeter, rateLimitHeaders } from "../rate-limiter.ts";
import {
  EffectCounter,
  type RunningSandbox,
  type SandboxRequest,
  type SandboxResponse,
  startSandboxServer,
} from "../sandbox-server.ts";
import { AppRegistry } from "./app-registry.ts";
import {
  DEFAULT_DEMO_SECRET,
  DEFAULT_OTHER_APP_SECRET,
  DEMO_APP_ID,
  demoIntents,
  OTHER_APP_ID,
} from "./demo-intents.ts";
import { IntentStore } from "./intent-store.ts";
import { faultResponse, rateLimited } from "./procure-core-envelopes.ts";
import { createProcureCoreRoutes, RequestLog } from "./procure-core-routes.ts";

export interface ProcureCoreSandboxOptions {
  /** Defaults to an ephemeral port. */
  port?: number;
  /** Known apps and their secrets (two while rotating). Defaults to the two demo apps. */
  apps?: Record<string, string | readonly string[]>;
  faults?: Partial<FaultSettings>;
  /** How long an accepted PROCESSING cancel takes to become CANCELLED. Default 2000 ms. */
  processingCancelDelayMs?: number;
  /** Epoch ms: checks X-Timestamp, stamps updates and settles asynchronous cancels. */
  now?: () => number;
  /** Load the demo intents. Default true. */
  demo?: boolean;
  /** Requests per minute and app. Default 0: no limit. */
  rateLimitPerMinute?: number;
  /** The limit's window, seconds. Default 60; shorter windows scale a run down in time. */
  rateLimitWindowSeconds?: number;
}

/** What the rate limit saw. */
export interface ProcureCoreRateLimitStats {
  /** Requests answered 429 by the limit (injected 429s not included). */
  readonly refused: number;
  /** Most requests of one app (or of any app) that arrived within one window (a minute unless set), refused ones included. */
  peakPerMinute(appId?: string): number;
}

export interface RunningProcureCoreSandbox extends RunningSandbox {
  intents: IntentStore;
  apps: AppRegistry;
  requests: RequestLog;
  rateLimit: ProcureCoreRateLimitStats;
}

export const DEFAULT_PROCESSING_CANCEL_DELAY_MS = 2_000;

/** The demo apps, as `apps` defaults to. */
export const DEFAULT_APPS: Readonly<Record<string, string>> = {
  [DEMO_APP_ID]: DEFAULT_DEMO_SECRET,
  [OTHER_APP_ID]: DEFAULT_OTHER_APP_SECRET,
};

/** Starts the sandbox; resolves once it listens. Close it with `close()`. */
export const startProcureCoreSandbox = async (
  options: ProcureCoreSandboxOptions = {},
): Promise<RunningProcureCoreSandbox> => {
  const now = options.now ?? Date.now;
  const intents = new IntentStore({
    now,
    processingCancelDelayMs: options.processingCancelDelayMs ?? DEFAULT_PROCESSING_CANCEL_DELAY_MS,
  });
  if (options.demo ?? true) intents.addAll(demoIntents(now()));
  const apps = new AppRegistry(options.apps ?? DEFAULT_APPS);
  const effects = new EffectCounter();
  const requests = new RequestLog();
  const routes = createProcureCoreRoutes({ intents, apps, effects, requests, now });
  const windowMs = (options.rateLimitWindowSeconds ?? 60) * 1000;
  const limiter = new FixedWindowRateLimiter({ limit: options.rateLimitPerMinute ?? 0, now, windowMs });
  const meter = new RequestRateMeter({ now, windowMs });
  let refused = 0;
  const handle = (request: SandboxRequest): SandboxResponse => {
    if (!limiter.enabled) return routes(request);
    const app = request.header("x-app-id") || "anonymous";
    meter.record(app);
    const decision = limiter.take(app);
    if (!decision.allowed) {
      refused++;
      const refusal = rateLimited(decision.retryAfterSeconds);
      return { ...refusal, headers: { ...refusal.headers, ...rateLimitHeaders(decision) } };
    }
    const response = routes(request);
    return { ...response, headers: { ...response.headers, ...rateLimitHeaders(decision) } };
  };
  const server = await startSandboxServer({
    name: "procure-core",
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.faults ? { faults: options.faults } : {}),
    effects,
    handle,
    faultResponse,
  });
  const rateLimit: ProcureCoreRateLimitStats = {
    get refused() {
      return refused;
    },
    peakPerMinute: (appId) => meter.peak(appId),
  };
  return { ...server, intents, apps, requests, rateLimit };
};

/**
 * The Procure-Core sandbox: a contract simulator of seed 000 on 127.0.0.1, with the
 * shared fault knobs and effect counter (`sandbox-server.ts`), signed-request checking,
 * app ownership, the seed's cancel state table, asynchronous PROCESSING cancels on an
 * injected clock, and demo data (`demo-intents.ts`).
 */
import type { FaultSettings } from "../fault-injector.ts";
import { EffectCounter, type RunningSandbox, startSandboxServer } from "../sandbox-server.ts";
import { AppRegistry } from "./app-registry.ts";
import {
  DEFAULT_DEMO_SECRET,
  DEFAULT_OTHER_APP_SECRET,
  DEMO_APP_ID,
  demoIntents,
  OTHER_APP_ID,
} from "./demo-intents.ts";
import { IntentStore } from "./intent-store.ts";
import { faultResponse } from "./procure-core-envelopes.ts";
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
}

export interface RunningProcureCoreSandbox extends RunningSandbox {
  intents: IntentStore;
  apps: AppRegistry;
  requests: RequestLog;
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
  const server = await startSandboxServer({
    name: "procure-core",
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.faults ? { faults: options.faults } : {}),
    effects,
    handle: createProcureCoreRoutes({ intents, apps, effects, requests, now }),
    faultResponse,
  });
  return { ...server, intents, apps, requests };
};

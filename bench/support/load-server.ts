/**
 * The server side of the HTTP load suite, in a process of its own so the load generator
 * does not share its event loop: the bench service (DynamoDB Local, sandboxes, the
 * exported HTTP handler behind `npm start`'s front door, which turns each request into an
 * API Gateway v2 event) with `count` fresh SUBMITTED intents.
 *
 * Protocol (IPC): → `{type: "ready", url, app, ids: {prefix, width, count}}`;
 * ← `{type: "stats"}` → `{type: "stats", effects, duplicated, published}`;
 * ← `{type: "stop"}` (or the parent going away) → everything stopped, exit.
 */
import { DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import { MemoryRingStore } from "#test/support/memory-ring-store.ts";
import { startBenchService } from "./bench-service.ts";

export interface LoadServerReady {
  type: "ready";
  url: string;
  app: { appId: string; secret: string };
  ids: { prefix: string; width: number; count: number };
}

export interface LoadServerStats {
  type: "stats";
  /** Upstream cancels that took effect. */
  effects: number;
  /** Intents cancelled upstream more than once. */
  duplicated: number;
  /** Outcome events the service published to the local EventBridge endpoint (the bus keeps the newest 500). */
  published: number;
}

const count = Number(process.argv[2] ?? "40000");
const PREFIX = "load_";

const service = await startBenchService("bench-http-load");
// A load test of the service, not of the upstream budget: ~100 requests a second is far over any
// upstream's limit, so no limit is in effect here (the budget's rings in memory). What the budget
// costs per request is measured by suites 1 and 6.
await service.useContainer({
  change: (config) => ({
    ...config,
    budget: { ...config.budget, perMinute: { a55: 100_000, "procure-core": 100_000 }, backgroundShare: 1 },
  }),
  budgetStore: new MemoryRingStore(),
});
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  try {
    // The load generator's last requests finish (and publish their events) before anything stops.
    await service.httpIdle();
    await service.close();
  } finally {
    process.exit(0);
  }
};
process.on("disconnect", () => void stop());
process.on("SIGTERM", () => void stop());

const ids = service.kit.procureCore.intents.generateExpired(count, { appId: DEMO_APP_ID, prefix: PREFIX });
const width = (ids[0] ?? "").length - PREFIX.length;

const sendStats = async (): Promise<void> => {
  await service.httpIdle();
  const all = service.kit.procureCore.effects.all();
  const stats: LoadServerStats = {
    type: "stats",
    effects: Object.values(all).reduce((sum, n) => sum + n, 0),
    duplicated: Object.values(all).filter((n) => n > 1).length,
    published: service.bus.published().length,
  };
  process.send?.(stats);
};

process.on("message", (message: { type: string }) => {
  if (message.type === "stop") void stop();
  if (message.type === "stats") void sendStats();
});

const ready: LoadServerReady = {
  type: "ready",
  url: service.frontDoor.url,
  app: service.kit.app,
  ids: { prefix: PREFIX, width, count },
};
process.send?.(ready);

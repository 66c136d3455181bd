/**
 * The server side of the HTTP load suite, in a process of its own so the load generator
 * does not share its event loop: the bench service (DynamoDB Local, sandboxes, the
 * exported HTTP handler behind `npm start`'s front door, which turns each request into an
 * API Gateway v2 event) with `count` fresh SUBMITTED intents.
 *
 * The outbox relay runs beside it on the audit table's stream, as under `npm start`, and
 * publishes each cancel's outcome event to the front door's EventBridge endpoint: the
 * commit-to-bus lag is measured on what arrives there.
 *
 * Protocol (IPC): → `{type: "ready", url, app, ids: {prefix, width, count}}`;
 * ← `{type: "mark"}`: events committed from now on are the measured ones;
 * ← `{type: "stats"}` → `{type: "stats", effects, duplicated, published, lag…}` once the
 * relay has caught up; ← `{type: "stop"}` (or the parent going away) → everything stopped, exit.
 */
import { DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import { MemoryRingStore } from "#test/support/memory-ring-store.ts";
import { startBenchService } from "./bench-service.ts";
import { summarize } from "./stats.ts";

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
  /** Distinct outcome events published since the start, warm-up included (one per cancel). */
  published: number;
  /** Events published since the mark, and their deliveries (a duplicate counts again). */
  measured: { events: number; deliveries: number };
  /** Commit (the record's `at`) to arrival at the bus, ms, over the events since the mark. */
  lagMs: { p50: number; p99: number; max: number };
}

const count = Number(process.argv[2] ?? "40000");
const PREFIX = "load_";

const service = await startBenchService("bench-http-load");
// A load test of the service, not of the upstream budget: ~100 requests a second is far over any
// upstream's limit, so no limit is in effect here: the budget's rings in memory, at 10,000 a
// minute, which this load never reaches. No deployment can have it: the configuration refuses
// more than MAX_BUDGET_PER_MINUTE (1,000, what one DynamoDB item sustains; docs/capacity.md).
// A larger ring would measure the in-memory store's copying, not the service. What the budget
// costs per request is measured by suites 1, 7 and 8.
await service.useContainer({
  change: (config) => ({
    ...config,
    budget: { ...config.budget, perMinute: { a55: 10_000, "procure-core": 10_000 }, backgroundShare: 1 },
  }),
  budgetStore: new MemoryRingStore(),
});
const outbox = await service.startOutbox();
let markAt = 0;
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
  // Every event committed so far is on the bus before the lag is read.
  await outbox.waitUntilIdle(120_000);
  const all = service.kit.procureCore.effects.all();
  const measured = service.arrivals().filter((arrival) => Date.parse(arrival.at) >= markAt);
  const lags = summarize(measured.map((arrival) => arrival.receivedAt - Date.parse(arrival.at)));
  const stats: LoadServerStats = {
    type: "stats",
    effects: Object.values(all).reduce((sum, n) => sum + n, 0),
    duplicated: Object.values(all).filter((n) => n > 1).length,
    published: new Set(service.arrivals().map((arrival) => arrival.eventId)).size,
    measured: {
      events: new Set(measured.map((arrival) => arrival.eventId)).size,
      deliveries: measured.length,
    },
    lagMs: { p50: lags.p50, p99: lags.p99, max: lags.max },
  };
  process.send?.(stats);
};

process.on("message", (message: { type: string }) => {
  if (message.type === "stop") void stop();
  if (message.type === "mark") markAt = Date.now();
  if (message.type === "stats") void sendStats();
});

const ready: LoadServerReady = {
  type: "ready",
  url: service.frontDoor.url,
  app: service.kit.app,
  ids: { prefix: PREFIX, width, count },
};
process.send?.(ready);

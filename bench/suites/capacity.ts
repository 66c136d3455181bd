/**
 * Suite 8 — what a cancel writes to DynamoDB, measured, for docs/capacity.md. The exported
 * handlers run against DynamoDB Local and the sandboxes; every write is sent with
 * `ReturnConsumedCapacity: INDEXES` (bench/support/write-meter.ts) and each trigger's cancels
 * are counted apart:
 *
 * - HTTP: an intent cancelled at once; a PROCESSING intent (202) the continuation then
 *   finishes; a charge; an order of both; a charge refused 429 (A55's budget spent);
 * - bus: a `Cancel Requested` intent; the expiry sweep: its expired intents;
 *
 * and the items themselves are read back and sized by DynamoDB's rules
 * (bench/support/dynamo-item-size.ts): each kind's largest, and the budget's two ring items
 * at their largest for limits of 100, 300, 1,000 and 10,000 a minute (background share 0.6),
 * with the units one take on each costs (goal ≤ 2, ADR 0008). DynamoDB Local does
 * not throttle: these are units consumed, which docs/capacity.md sets against a partition's
 * 1,000 write units a second.
 *
 * This file drives the cancels trigger by trigger and reports; beside it in capacity/:
 * per-cancel-writes.ts (a tally per cancel, in words), largest-items.ts (each kind's
 * largest item), budget-ring-items.ts (the budget's ring items and a take's cost).
 */
import { randomUUID } from "node:crypto";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { eventBridgeEvent, lambdaContext, scheduledEvent } from "#test/support/lambda-events.ts";
import type { ServiceConfig } from "#wiring/config.ts";
import { startBenchService } from "../support/bench-service.ts";
import { atMost, figure, type Metric, type SuiteRun } from "../support/suite.ts";
import { meterWrites } from "../support/write-meter.ts";
import { RING_SIZES, ringItems } from "./capacity/budget-ring-items.ts";
import { largestItems } from "./capacity/largest-items.ts";
import { describeWrites, type PerCancelWrites, perCancel } from "./capacity/per-cancel-writes.ts";

const CANCELS = 20;
/** The Procure-Core sandbox finishes an accepted PROCESSING cancel after this long (the kit's default). */
const ASYNC_DELAY_MS = 2_000;

export const run: SuiteRun = async ({ progress }) => {
  const service = await startBenchService("bench-capacity");
  try {
    const { kit } = service;
    const names = (full: string) =>
      full === kit.tables.auditTable ? "audit" : full === kit.tables.idempotencyTable ? "idempotency" : full;
    const meter = meterWrites(kit.dynamo, names);
    const results: Record<string, PerCancelWrites> = {};
    const measure = async (label: string, cancels: number, act: () => Promise<void>) => {
      meter.reset();
      await act();
      results[label] = perCancel(meter.tally(), cancels);
      progress(`${label}: ${describeWrites(results[label])}`);
    };
    const signed = (path: string, body: unknown = { reason: "capacity bench" }) =>
      kit.http(
        kit.signed({
          method: "POST",
          path,
          body: JSON.stringify(body),
          headers: { "idempotency-key": randomUUID() },
        }),
      );
    const chargeCancel = (charge: string) =>
      kit.http(
        kit.bearer({
          method: "POST",
          path: `/api/v1/bank/wallet/charge/${charge}/cancel/${A55_DEMO_WALLET}/`,
          body: JSON.stringify({ reason: "capacity bench" }),
        }),
      );
    const expectStatus = (status: number, wanted: number, what: string) => {
      if (status !== wanted) throw new Error(`${what} answered ${status}, expected ${wanted}`);
    };
    const continuation = () => kit.handlers.continuation({}, lambdaContext({ remainingMs: 60_000 }));
    // The continuation looks at an asynchronous cancel 1 s after it opened (deployed: 30 s).
    const firstCheckSoon = (config: ServiceConfig): ServiceConfig => ({
      ...config,
      lifecycle: { ...config.lifecycle, firstCheckAfterMs: 1_000 },
    });
    await service.useContainer({ change: firstCheckSoon });

    // Warm-up: the first requests load code and fill caches; not counted.
    for (let i = 0; i < 5; i++) await signed(`/api/v1/intents/${kit.newIntent("SUBMITTED")}/cancel`);

    await measure("HTTP intent (cancelled at once)", CANCELS, async () => {
      for (let i = 0; i < CANCELS; i++) {
        const answer = await signed(`/api/v1/intents/${kit.newIntent("SUBMITTED")}/cancel`);
        expectStatus(answer.statusCode, 200, "intent cancel");
      }
    });
    await measure("HTTP intent PROCESSING (202)", CANCELS, async () => {
      for (let i = 0; i < CANCELS; i++) {
        const answer = await signed(`/api/v1/intents/${kit.newIntent("PROCESSING")}/cancel`);
        expectStatus(answer.statusCode, 202, "PROCESSING intent cancel");
      }
    });
    await new Promise((resolve) => setTimeout(resolve, ASYNC_DELAY_MS + 200));
    await measure("continuation (finishing those 202s)", CANCELS, async () => {
      const finished = ((await continuation()) as { finished: number }).finished;
      if (finished !== CANCELS) throw new Error(`the continuation finished ${finished} of ${CANCELS}`);
    });
    await measure("HTTP charge", CANCELS, async () => {
      for (let i = 0; i < CANCELS; i++)
        expectStatus((await chargeCancel(kit.newCharge("pending"))).statusCode, 200, "charge cancel");
    });
    await measure("HTTP order (intent + charge)", CANCELS, async () => {
      for (let i = 0; i < CANCELS; i++) {
        const body = {
          intentId: kit.newIntent("SUBMITTED"),
          charge: { chargeUuid: kit.newCharge("pending"), walletUuid: A55_DEMO_WALLET },
          reason: "capacity bench",
        };
        expectStatus(
          (await signed(`/api/v1/orders/order-${randomUUID().slice(0, 8)}/cancel`, body)).statusCode,
          200,
          "order",
        );
      }
    });
    await measure("bus intent (Cancel Requested)", CANCELS, async () => {
      for (let i = 0; i < CANCELS; i++) {
        const id = kit.newIntent("SUBMITTED");
        await kit.deliverBus(
          eventBridgeEvent({ target: { type: "intent", id }, idempotencyKey: randomUUID() }),
        );
      }
    });
    let swept = 0;
    meter.reset();
    const summary = (await kit.handlers.sweep(scheduledEvent(), lambdaContext({ remainingMs: 120_000 }))) as {
      cancelled: number;
    };
    swept = summary.cancelled;
    results[`sweep (${swept} expired intents)`] = perCancel(meter.tally(), Math.max(1, swept));
    progress(`sweep: ${describeWrites(results[`sweep (${swept} expired intents)`] as PerCancelWrites)}`);

    // A charge refused 429: A55's budget spent (a limit of 5, taken by another client first).
    await service.useContainer({
      change: (config) => ({
        ...firstCheckSoon(config),
        budget: { ...config.budget, perMinute: { ...config.budget.perMinute, a55: 5 } },
      }),
    });
    for (let i = 0; i < 8; i++) await chargeCancel(kit.newCharge("pending"));
    await measure("HTTP charge refused 429 (budget spent)", CANCELS, async () => {
      for (let i = 0; i < CANCELS; i++)
        expectStatus((await chargeCancel(kit.newCharge("pending"))).statusCode, 429, "spent");
    });
    meter.detach();

    // Item sizes, read back: each kind's largest.
    const largest = await largestItems(kit.dynamo, {
      idempotency: kit.tables.idempotencyTable,
      audit: kit.tables.auditTable,
    });
    const ring = await ringItems(kit.dynamo, kit.tables.idempotencyTable, names, progress);

    const metrics: Metric[] = [
      ...Object.entries(results).map(([label, figures]) =>
        figure(`per cancel, ${label}`, describeWrites(figures)),
      ),
      ...Object.entries(largest).map(([kind, { bytes, wcu }]) =>
        figure(`largest ${kind} item (bytes / WCU a write)`, `${bytes} / ${wcu}`),
      ),
      ...RING_SIZES.flatMap((size) =>
        Object.entries(ring[size] ?? {}).map(([name, one]) =>
          atMost(
            `budget of ${size}/min, ${name} ring (${one.bytes} B): WCU a take`,
            one.wcuPerTake,
            2,
            "",
            0,
          ),
        ),
      ),
    ];
    return { metrics, details: { perCancel: results, largest, ring, swept } };
  } finally {
    await service.close();
  }
};

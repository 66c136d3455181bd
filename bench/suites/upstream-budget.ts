/**
 * Suite 6 — what the shared upstream budget costs, on DynamoDB Local:
 *
 * 1. One container taking slots one after another (nothing else taking): latency of a
 *    take and DynamoDB round trips per take, for rings of 100, 300 and 1,000 (A55's limit,
 *    Procure-Core's default, and more), with the item's size and write units per take.
 * 2. Contention: 4 and 16 containers (each its own DynamoDB client) taking from one ring
 *    at once: round trips per take (a take loses its write to a concurrent one that read the
 *    clock later but was written first, and tries again) and latency.
 * 3. The time to answer 429 when the budget is spent, through the exported HTTP handler
 *    (the charge route: begin, a refused take, release + audit), goal < 50 ms.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { STATIC_TOKEN_CLIENT } from "#adapters/a55/token-source.ts";
import { DynamoRingStore } from "#adapters/budget/budget-ring-store.ts";
import { SharedUpstreamBudget } from "#adapters/budget/shared-upstream-budget.ts";
import { UpstreamRateLimitedError } from "#core/errors.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { createLocalDynamoClient } from "#test/support/dynamo-tables.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";
import { countRoundTrips } from "#test/support/round-trip-counter.ts";
import { startBenchService } from "../support/bench-service.ts";
import { summarize } from "../support/stats.ts";
import { atMost, figure, type Metric, type SuiteRun } from "../support/suite.ts";

const RING_SIZES = [100, 300, 1_000] as const;
const CONTENDERS = [4, 16] as const;
const CONTENDED_TAKES = 800;
const REFUSALS = 300;
const REFUSAL_TARGET_MS = 50;

/**
 * DynamoDB's size of the budget item (its documented rules: attribute names count; a
 * number takes about one byte per two significant digits plus one; a list three bytes
 * plus one per element), for a ring of `limit`, a background ring of `cap` and an interactive
 * ring of `limit − cap` epoch-ms times, with both marks of background work wanting slots.
 */
const itemBytes = (limit: number, cap: number, key: string): number => {
  const number = (value: number) => 1 + Math.ceil(String(value).replace(/0+$/, "").length / 2);
  const epochMs = number(1_772_019_000_123);
  const list = (length: number) => 3 + length * (1 + epochMs);
  return (
    "pk".length +
    key.length +
    "sk".length +
    "RING".length +
    "slots".length +
    list(limit) +
    "backgroundSlots".length +
    list(cap) +
    "interactiveSlots".length +
    list(limit - cap) +
    "backgroundTookAt".length +
    epochMs +
    "backgroundWaitsUntil".length +
    epochMs +
    "expiresAt".length +
    number(1_772_105_400)
  );
};

export const run: SuiteRun = async ({ progress }) => {
  const service = await startBenchService("bench-upstream-budget");
  const extraClients: DynamoDBClient[] = [];
  try {
    const { kit } = service;
    const endpoint = service.dynamo.endpoint;
    const budgetOf = (client: DynamoDBClient, perMinute: number, share = 0.6) =>
      new SharedUpstreamBudget({
        store: new DynamoRingStore({ client, table: kit.tables.idempotencyTable }),
        perMinute: { a55: perMinute, "procure-core": perMinute },
        backgroundShare: share,
        marginMs: 1_000,
      });
    const take = (budget: SharedUpstreamBudget, who: string) =>
      budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: Date.now() + 10_000 });

    // ---- 1. One container, nothing else taking.
    progress("warm-up: 300 takes");
    const warm = budgetOf(kit.dynamo, 1_000);
    const warmClient = `warm-${randomUUID()}`;
    for (let i = 0; i < 300; i++) await take(warm, warmClient);
    const sequential: Record<number, { p50: number; p99: number; roundTripsPerTake: number; bytes: number }> =
      {};
    for (const size of RING_SIZES) {
      const budget = budgetOf(kit.dynamo, size);
      const who = `seq-${size}-${randomUUID().slice(0, 8)}`;
      await take(budget, who); // creates the item
      const counter = countRoundTrips(kit.dynamo);
      const samples: number[] = [];
      const takes = Math.floor(size * 0.9) - 1;
      for (let i = 0; i < takes; i++) {
        const started = performance.now();
        await take(budget, who);
        samples.push(performance.now() - started);
      }
      const roundTrips = counter.total();
      counter.detach();
      const summary = summarize(samples);
      const shape = budget.shapeOf("a55");
      sequential[size] = {
        p50: summary.p50,
        p99: summary.p99,
        roundTripsPerTake: roundTrips / takes,
        bytes: itemBytes(size, shape.backgroundCap, `BUDGET#a55#${who}`),
      };
      progress(
        `ring of ${size}: take p50 ${summary.p50.toFixed(2)} ms, ${(roundTrips / takes).toFixed(2)} round trips`,
      );
    }

    // ---- 2. Contention.
    const contended: Record<
      number,
      { roundTripsPerTake: number; p50: number; p99: number; abandoned: number }
    > = {};
    for (const containers of CONTENDERS) {
      const clients = Array.from({ length: containers }, () => createLocalDynamoClient(endpoint));
      extraClients.push(...clients);
      const budgets = clients.map((client) => budgetOf(client, 1_000));
      const who = `contended-${containers}-${randomUUID().slice(0, 8)}`;
      await take(budgets[0] as SharedUpstreamBudget, who);
      const samples: number[] = [];
      let remaining = CONTENDED_TAKES;
      await Promise.all(
        budgets.map(async (budget) => {
          while (remaining > 0) {
            remaining--;
            const started = performance.now();
            await take(budget, who);
            samples.push(performance.now() - started);
          }
        }),
      );
      const stats = budgets.map((budget) => budget.stats);
      const roundTrips = stats.reduce((sum, one) => sum + one.roundTrips, 0) - 1;
      const taken = stats.reduce((sum, one) => sum + one.taken, 0) - 1;
      const summary = summarize(samples);
      contended[containers] = {
        roundTripsPerTake: roundTrips / taken,
        p50: summary.p50,
        p99: summary.p99,
        abandoned: stats.reduce((sum, one) => sum + one.abandoned, 0),
      };
      progress(
        `${containers} containers: ${(roundTrips / taken).toFixed(2)} round trips per take, p50 ${summary.p50.toFixed(2)} ms`,
      );
    }

    // ---- 3. 429 when spent, through the HTTP handler.
    progress(`${REFUSALS} charge cancels through the HTTP handler with A55's budget spent`);
    await service.useContainer({
      change: (config) => ({
        ...config,
        budget: { ...config.budget, perMinute: { ...config.budget.perMinute, a55: 5 } },
      }),
    });
    const other = budgetOf(kit.dynamo, 5);
    for (;;) {
      const refused = await take(other, STATIC_TOKEN_CLIENT).then(
        () => false,
        (error: unknown) => error instanceof UpstreamRateLimitedError,
      );
      if (refused) break;
    }
    const refusalMs: number[] = [];
    let not429 = 0;
    for (let i = 0; i < REFUSALS; i++) {
      const charge = kit.newCharge("pending");
      const event = kit.bearer({
        method: "POST",
        path: `/api/v1/bank/wallet/charge/${charge}/cancel/${A55_DEMO_WALLET}/`,
        body: JSON.stringify({ reason: "bench" }),
      });
      const started = performance.now();
      const answer = (await kit.handlers.http(event, lambdaContext())) as { statusCode: number };
      refusalMs.push(performance.now() - started);
      if (answer.statusCode !== 429) not429++;
    }
    const refusal = summarize(refusalMs.slice(20));

    const metrics: Metric[] = [
      ...RING_SIZES.flatMap((size) => {
        const one = sequential[size];
        return one
          ? [
              figure(
                `ring of ${size}: take p50 / p99`,
                `${one.p50.toFixed(2)} / ${one.p99.toFixed(2)}`,
                "ms",
              ),
              figure(`ring of ${size}: DynamoDB round trips per take`, one.roundTripsPerTake, "", 2),
              figure(
                `ring of ${size}: item size / write units per take`,
                `${one.bytes} B / ${Math.ceil(one.bytes / 1024)}`,
              ),
            ]
          : [];
      }),
      ...CONTENDERS.flatMap((containers) => {
        const one = contended[containers];
        return one
          ? [
              figure(`${containers} containers at once: round trips per take`, one.roundTripsPerTake, "", 2),
              figure(
                `${containers} containers at once: take p50 / p99`,
                `${one.p50.toFixed(1)} / ${one.p99.toFixed(1)}`,
                "ms",
              ),
            ]
          : [];
      }),
      atMost("429 when spent, HTTP handler p50", refusal.p50, REFUSAL_TARGET_MS, "ms", 2),
      figure("429 when spent, HTTP handler p99", refusal.p99, "ms", 2),
      figure("answers other than 429 while spent", not429, "", 0),
    ];
    return {
      metrics,
      details: {
        sequential,
        contended: { takes: CONTENDED_TAKES, ring: 1_000, byContainers: contended },
        refusal: { requests: REFUSALS, measured: refusalMs.length - 20, ms: refusal, not429 },
      },
    };
  } finally {
    for (const client of extraClients) client.destroy();
    await service.close();
  }
};

import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import { type DynamoLocal, startDynamoLocal } from "#test/support/dynamo-local.ts";
import type { HttpResult } from "#test/support/handler-kit.ts";
import { eventBridgeEvent } from "#test/support/lambda-events.ts";
import { caseSeed, profile } from "./support/profile.ts";
import { deliverThroughQueue, unexpectedFailures } from "./support/queue-platform.ts";
import { assertCleanRun, type ReliabilityRun, startReliabilityRun } from "./support/reliability-run.ts";
import { printSummary, type SummaryRow } from "./support/summary.ts";

/**
 * Case 3b. DynamoDB goes away in the middle of a run (a private DynamoDB Local, stopped
 * while cancels are in flight). The service must fail closed: every request that starts
 * after the stop is answered 503 with Retry-After (every route, every auth), bus events
 * throw and end dead-lettered, and not one of them reaches an upstream. Requests already
 * in flight at the stop end 200 or 503 — never another 5xx — with at most one effect.
 */
const SEED = caseSeed(profile, 4);
const { before: BEFORE, during: DURING, busAfter: BUS_AFTER } = profile.outage;
/** Of the `during` requests, this many are in flight when the stop begins. */
const IN_FLIGHT_AT_STOP = Math.ceil(DURING / 3);

type Cancel =
  | { kind: "intent"; id: string; key: boolean }
  | { kind: "charge"; id: string; key: boolean }
  | { kind: "order"; id: string; intentId: string; chargeUuid: string }
  | { kind: "audit"; id: string };

describe(`reliability: DynamoDB outage mid-run (${profile.name})`, () => {
  let local: DynamoLocal | undefined;
  let run: ReliabilityRun;
  const rows: SummaryRow[] = [];

  beforeAll(async () => {
    // Private: stopping the run's shared DynamoDB Local would break every other file.
    local = await startDynamoLocal();
    run = await startReliabilityRun({
      name: "reliability-outage",
      dynamoEndpoint: local.endpoint,
      // Few, short attempts, so an outage is noticed fast (as the integration test does).
      dynamoClient: { maxAttempts: 2, connectionTimeoutMs: 300, requestTimeoutMs: 2_000 },
    });
  }, 120_000);
  afterAll(async () => {
    await run?.stop({ dropTables: false });
    await local?.stop();
    if (rows.length > 0) printSummary(profile, SEED, rows);
  });

  const newCancel = (i: number): Cancel => {
    const { kit } = run;
    switch (i % 5) {
      case 0:
        return { kind: "intent", id: kit.newIntent("SUBMITTED", { prefix: "outage" }), key: true };
      case 1:
        return { kind: "charge", id: kit.newCharge("pending"), key: true };
      case 2:
        return { kind: "intent", id: kit.newIntent("SUBMITTED", { prefix: "outage" }), key: false };
      case 3:
        return {
          kind: "order",
          id: `order-${randomUUID().slice(0, 8)}`,
          intentId: kit.newIntent("SUBMITTED", { prefix: "outage" }),
          chargeUuid: kit.newCharge("pending"),
        };
      default:
        return { kind: "charge", id: kit.newCharge("pending"), key: false };
    }
  };

  const eventOf = (cancel: Cancel): APIGatewayProxyEventV2 => {
    const key = { "idempotency-key": randomUUID() };
    switch (cancel.kind) {
      case "intent":
        return run.signed({
          method: "POST",
          path: `/api/v1/intents/${cancel.id}/cancel`,
          ...(cancel.key ? { headers: key } : {}),
        });
      case "charge":
        return run.kit.bearer({
          method: "POST",
          path: `/api/v1/bank/wallet/charge/${cancel.id}/cancel/${A55_DEMO_WALLET}/`,
          body: JSON.stringify({ reason: "outage" }),
          ...(cancel.key ? { headers: key } : {}),
        });
      case "order":
        return run.signed({
          method: "POST",
          path: `/api/v1/orders/${cancel.id}/cancel`,
          headers: key,
          body: JSON.stringify({
            intentId: cancel.intentId,
            charge: { chargeUuid: cancel.chargeUuid, walletUuid: A55_DEMO_WALLET },
          }),
        });
      case "audit":
        return run.signed({ method: "GET", path: `/api/v1/cancellations/intent/${cancel.id}` });
    }
  };

  /** The upstream targets a cancel may touch. */
  const upstreamIdsOf = (cancel: Cancel): string[] =>
    cancel.kind === "order"
      ? [cancel.intentId, cancel.chargeUuid]
      : cancel.kind === "audit"
        ? []
        : [cancel.id];
  const effectsOf = (id: string): number =>
    run.kit.procureCore.effects.count(id) + run.kit.a55.effects.count(id);

  it(
    `${BEFORE} cancels, then ${DURING} with DynamoDB stopped under them, then ${BUS_AFTER} bus events: fail closed`,
    async () => {
      onTestFailed(() =>
        console.error(`DynamoDB outage failed: RELIABILITY_SEED=${profile.seed} (case seed ${SEED})`),
      );
      const { kit, traffic } = run;
      const startedAt = Date.now();

      // Prepare: the service works.
      const working = Array.from({ length: BEFORE }, (_, i) => newCancel(i));
      const answers = await Promise.all(working.map((cancel) => kit.http(eventOf(cancel))));
      expect(answers.map((a) => a.statusCode)).toEqual(working.map(() => 200));

      // Act: a third of the next cancels is in flight when DynamoDB Local stops; the rest start after.
      const inFlight = Array.from({ length: IN_FLIGHT_AT_STOP }, (_, i) => newCancel(i));
      const inFlightAnswers = inFlight.map(async (cancel, i) => {
        await sleep(i * 10);
        return kit.http(eventOf(cancel));
      });
      // Stop once the first of them has been answered: the others are still in flight.
      await Promise.race(inFlightAnswers);
      await local?.stop();
      const stoppedAt = Date.now();
      const after: Cancel[] = Array.from({ length: DURING - IN_FLIGHT_AT_STOP }, (_, i) =>
        i % 6 === 5 ? { kind: "audit", id: working[0]?.id ?? "none" } : newCancel(i),
      );
      const afterAnswers: HttpResult[] = [];
      for (const cancel of after) afterAnswers.push(await kit.http(eventOf(cancel)));
      const busTargets = Array.from({ length: BUS_AFTER }, (_, i) => newCancel(i % 2));
      const busEvents = busTargets.map((cancel) =>
        eventBridgeEvent({
          target:
            cancel.kind === "charge"
              ? { type: "charge", chargeUuid: cancel.id, walletUuid: A55_DEMO_WALLET }
              : { type: "intent", id: cancel.id },
          idempotencyKey: `outage-${randomUUID()}`,
        }),
      );
      const bus = await deliverThroughQueue(kit, busEvents, {
        maximumConcurrency: 4,
        batchSize: 1,
        budgetMs: 5_000,
        visibilityTimeoutSeconds: 6,
      });
      const settledInFlight = await Promise.all(inFlightAnswers);
      const durationMs = Date.now() - startedAt;

      // Assess: after the stop, every answer is 503 with Retry-After, and nothing reached an upstream.
      for (const [i, answer] of afterAnswers.entries()) {
        const cancel = after[i] as Cancel;
        const label = `${cancel.kind} ${cancel.id} after the stop`;
        expect(answer.statusCode, `${label}: ${answer.rawBody}`).toBe(503);
        expect(answer.headers["retry-after"], label).toBe("1");
        expect(answer.body, label).toBeDefined();
      }
      const untouched = [...after, ...busTargets].flatMap(upstreamIdsOf);
      const sent = traffic.sentPerTarget();
      const seen = traffic.seenPerTarget();
      expect(
        untouched.filter((id) => (sent.get(id) ?? 0) > 0 || (seen.get(id) ?? 0) > 0 || effectsOf(id) > 0),
      ).toEqual([]);
      // Any upstream call after the stop belongs to a cancel that was already in flight.
      const inFlightIds = new Set(inFlight.flatMap(upstreamIdsOf));
      expect(
        traffic.sent.filter((r) => r.at >= stoppedAt && !inFlightIds.has(r.target ?? "")).map((r) => r.path),
      ).toEqual([]);
      // Bus: every event failed as "store unavailable" on each of maxReceiveCount receives, then
      // dead-lettered; none settled.
      expect(bus.settled.size).toBe(0);
      expect(bus.deadLetters.map((d) => d.deliveries)).toEqual(
        busEvents.map(() => FUNCTIONS.CancelRequested.trigger.maxReceiveCount),
      );
      expect(unexpectedFailures(bus, ["StoreUnavailableError"])).toEqual([]);
      // In flight at the stop: done (200) or refused (503), never anything else; at most one effect.
      for (const [i, answer] of settledInFlight.entries()) {
        const cancel = inFlight[i] as Cancel;
        const label = `${cancel.kind} ${cancel.id} in flight at the stop`;
        expect([200, 503], `${label}: ${answer.statusCode} ${answer.rawBody}`).toContain(answer.statusCode);
        for (const id of upstreamIdsOf(cancel)) {
          expect(effectsOf(id), label).toBeLessThanOrEqual(1);
          if (answer.statusCode === 200) expect(effectsOf(id), label).toBe(1);
        }
      }

      const busDeliveries = [...bus.deliveries.values()].reduce((sum, n) => sum + n, 0);
      const inFlightDone = settledInFlight.filter((a) => a.statusCode === 200).length;
      rows.push({
        case: "3b DynamoDB outage",
        requests: BEFORE + DURING + busDeliveries,
        upstream: traffic.sent.length,
        effects: kit.procureCore.effects.total() + kit.a55.effects.total(),
        retries: busDeliveries - BUS_AFTER,
        deadLetters: bus.deadLetters.length,
        durationMs,
        notes:
          `${BEFORE} before the stop (200); ${IN_FLIGHT_AT_STOP} in flight at the stop (${inFlightDone} × 200, ` +
          `${IN_FLIGHT_AT_STOP - inFlightDone} × 503); ${after.length} after it: all 503, 0 upstream calls; ` +
          `${BUS_AFTER} bus events after it: all dead-lettered`,
      });
    },
    profile.testTimeoutMs,
  );

  it("logs hold no secret, token or signature; no unhandled rejection", () => {
    assertCleanRun(run);
  });
});

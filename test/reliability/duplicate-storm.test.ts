import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import type { HttpResult } from "#test/support/handler-kit.ts";
import { eventBridgeEvent } from "#test/support/lambda-events.ts";
import { caseSeed, profile } from "./support/profile.ts";
import {
  deliverThroughQueue,
  mapLimit,
  type QueueReport,
  unexpectedFailures,
} from "./support/queue-platform.ts";
import { assertCleanRun, type ReliabilityRun, startReliabilityRun } from "./support/reliability-run.ts";
import { countLogMessages, printSummary, type SummaryRow } from "./support/summary.ts";

/**
 * Case 1. Every target is hit by a storm of identical HTTP requests (one Idempotency-Key,
 * one body, delivered concurrently), then by a storm of duplicate bus events (one
 * idempotencyKey). The HTTP storm runs first so its winner is the one that cancels; the
 * bus storm is a second logical request, so it reaches the upstream once more and learns
 * the target is already cancelled. Several targets storm at once. The bus events go through
 * the bus function's work queue (support/queue-platform.ts), one per invocation, all at once:
 * a delivery that meets the key in progress is put back and checks again shortly.
 */
const SEED = caseSeed(profile, 1);
const { targets, httpPerTarget, busPerTarget, targetsAtOnce } = profile.storm;
/** The window over which a target's HTTP requests start (each stays in flight until answered). */
const HTTP_SPREAD_MS = 250;

type StormTarget = { type: "intent"; id: string } | { type: "charge"; id: string; walletUuid: string };

interface StormResult {
  target: StormTarget;
  http: HttpResult[];
  busEventIds: string[];
}

describe(`reliability: duplicate storm (${profile.name})`, () => {
  let run: ReliabilityRun;
  const rows: SummaryRow[] = [];

  beforeAll(async () => {
    run = await startReliabilityRun({
      name: "reliability-storm",
      dynamoEndpoint: inject("dynamoEndpoint"),
      // The kit's 500 ms connect timeout is for outage tests. Here one process opens a burst
      // of sockets to a JVM on a loaded 2-core machine (on Lambda each of these would be
      // its own container), and the production client sets no connect timeout at all.
      dynamoClient: { connectionTimeoutMs: 5_000, requestTimeoutMs: 10_000 },
    });
  });
  afterAll(async () => {
    await run?.stop();
    if (rows.length > 0) printSummary(profile, SEED, rows);
  });

  const httpTemplate = (target: StormTarget, key: string): APIGatewayProxyEventV2 => {
    const body = JSON.stringify({ reason: "duplicate storm" });
    const headers = { "idempotency-key": key };
    return target.type === "intent"
      ? run.signed({ method: "POST", path: `/api/v1/intents/${target.id}/cancel`, headers, body })
      : run.kit.bearer({
          method: "POST",
          path: `/api/v1/bank/wallet/charge/${target.id}/cancel/${target.walletUuid}/`,
          headers,
          body,
        });
  };

  const busEvents: ReturnType<typeof eventBridgeEvent>[] = [];
  const storm = async (target: StormTarget): Promise<StormResult> => {
    const { kit } = run;
    // HTTP: one request, delivered N times (API Gateway gives each its own request id), all
    // in flight together but started over a short window, so the late ones meet the
    // completed key (replay) while the early ones meet it in progress (409).
    const template = httpTemplate(target, randomUUID());
    const http = await Promise.all(
      Array.from({ length: httpPerTarget }, async (_, i) => {
        const event = structuredClone(template);
        event.requestContext.requestId = randomUUID();
        await sleep(Math.floor((i * HTTP_SPREAD_MS) / httpPerTarget));
        return kit.http(event);
      }),
    );
    // Bus: N events (own ids) with one idempotencyKey, queued for the bus storm below.
    const detail = {
      target:
        target.type === "intent"
          ? { type: "intent", id: target.id }
          : { type: "charge", chargeUuid: target.id, walletUuid: target.walletUuid },
      reason: "duplicate storm",
      idempotencyKey: `storm-${randomUUID()}`,
    };
    const events = Array.from({ length: busPerTarget }, () => eventBridgeEvent(detail));
    busEvents.push(...events);
    return { target, http, busEventIds: events.map((event) => event.id) };
  };

  it(
    `${targets} targets × ${httpPerTarget} identical HTTP requests and ${busPerTarget} duplicate bus events: one upstream effect each`,
    async () => {
      onTestFailed(() =>
        console.error(`duplicate storm failed: RELIABILITY_SEED=${profile.seed} (case seed ${SEED})`),
      );
      // Prepare: half intents, half charges.
      const { kit, traffic } = run;
      const stormTargets: StormTarget[] = Array.from({ length: targets }, (_, i) =>
        i % 2 === 0
          ? { type: "intent", id: kit.newIntent("SUBMITTED", { prefix: "storm" }) }
          : { type: "charge", id: kit.newCharge("pending"), walletUuid: A55_DEMO_WALLET },
      );
      const startedAt = Date.now();

      // Act: the HTTP storms, several targets at once; then every bus event at once.
      const results = await mapLimit(stormTargets, targetsAtOnce, storm);
      const busReport: QueueReport = await deliverThroughQueue(run.kit, busEvents, {
        maximumConcurrency: busPerTarget * targetsAtOnce,
        batchSize: 1,
        budgetMs: 10_000,
        visibilityTimeoutSeconds: 11,
      });
      const durationMs = Date.now() - startedAt;

      // Assess
      const sentPerTarget = traffic.sentPerTarget();
      const seenPerTarget = traffic.seenPerTarget();
      let inProgress = 0;
      let replays = 0;
      // Bus: every event settled, none dead-lettered, nothing failed (in progress is not a failure).
      expect(busReport.deadLetters).toEqual([]);
      expect(unexpectedFailures(busReport, [])).toEqual([]);
      for (const { target, http, busEventIds } of results) {
        const busResults = busEventIds.flatMap((id) => {
          const settled = busReport.settled.get(id);
          return settled ? [settled.result] : [];
        });
        const label = `${target.type} ${target.id}`;
        // HTTP: one winner; every other answer is the in-progress 409 or the exact replay. Never a 5xx.
        expect(
          http.filter((r) => r.statusCode >= 500).map((r) => `${r.statusCode} ${r.rawBody}`),
          `${label}: 5xx`,
        ).toEqual([]);
        const winners = http.filter(
          (r) => r.statusCode === 200 && r.headers["idempotent-replayed"] !== "true",
        );
        expect(winners, `${label}: exactly one request did the cancel`).toHaveLength(1);
        const winner = winners[0] as HttpResult;
        expect(winner.body).toMatchObject(
          target.type === "intent"
            ? { code: 0, data: { id: target.id, status: "CANCELLED" } }
            : { charge_uuid: target.id, wallet_uuid: target.walletUuid, status: "canceled" },
        );
        for (const response of http) {
          if (response === winner) continue;
          if (response.statusCode === 409) {
            inProgress += 1;
            expect(response.headers["retry-after"], label).toMatch(/^[1-9]\d*$/);
            expect(response.body, label).toMatchObject(
              target.type === "intent"
                ? { code: 40901 }
                : {
                    charge_uuid: target.id,
                    status: "error",
                    message: [{ code: "IDEMPOTENCY_REQUEST_IN_PROGRESS" }],
                  },
            );
          } else {
            replays += 1;
            expect(response.statusCode, label).toBe(200);
            expect(response.headers["idempotent-replayed"], label).toBe("true");
            expect(response.rawBody, label).toBe(winner.rawBody);
          }
        }
        // Bus: every event settled; one delivery did the work.
        expect(busResults, label).toHaveLength(busPerTarget);
        expect(
          busResults.filter((r) => !r.replayed),
          `${label}: one bus delivery did the work`,
        ).toHaveLength(1);
        // The HTTP storm cancelled it first, so the bus's own request finds it cancelled.
        expect(new Set(busResults.map((r) => r.outcome)), label).toEqual(new Set(["ALREADY_CANCELLED"]));

        // Upstream: one state change; one cancel request per logical request (HTTP, bus), nothing else.
        const effects = target.type === "intent" ? kit.procureCore.effects : kit.a55.effects;
        expect(effects.count(target.id), `${label}: upstream effects`).toBe(1);
        expect(sentPerTarget.get(target.id), `${label}: requests sent upstream`).toBe(2);
        expect(seenPerTarget.get(target.id), `${label}: requests the sandbox logged`).toBe(2);
        if (target.type === "charge") {
          const seen = kit.a55.seen().filter((r) => r.path.includes(target.id));
          expect(seen.map((r) => [r.method, r.status, r.replayed])).toEqual([
            ["POST", 200, false],
            ["POST", 409, false],
          ]);
          // Two logical requests, so two different A55 keys.
          expect(seen[0]?.idempotencyKey).not.toBe(seen[1]?.idempotencyKey);
        } else {
          const sent = traffic.seen().filter((r) => r.target === target.id);
          expect(sent.map((r) => [r.method, r.path])).toEqual([
            ["POST", `/api/v1/intents/${target.id}/cancel`],
            ["POST", `/api/v1/intents/${target.id}/cancel`],
          ]);
        }
        // Audit: one record per logical request.
        const trail = await kit.audit(target);
        expect(trail.map((r) => `${r.trigger}:${r.outcome}`).sort(), label).toEqual([
          "bus:ALREADY_CANCELLED",
          "http:CANCELLED",
        ]);
        expect(
          (await kit.announced()).filter((e) => e.detail.target.id === target.id),
          label,
        ).toHaveLength(2);
      }

      const busInvocations = busReport.invocations;
      const busRedeliveries = busInvocations - targets * busPerTarget;
      rows.push({
        case: "1 duplicate storm",
        requests: targets * httpPerTarget + busInvocations,
        upstream: traffic.sent.length,
        effects: kit.procureCore.effects.total() + kit.a55.effects.total(),
        retries: countLogMessages(run.capture.lines, "upstream call retried") + busRedeliveries,
        deadLetters: 0,
        durationMs,
        notes:
          `${targets} targets (${targets / 2} intents, ${targets / 2} charges); HTTP ${targets * httpPerTarget}: ` +
          `${targets} won, ${inProgress} 409 in progress, ${replays} replayed; bus ${targets * busPerTarget} events, ` +
          `${busRedeliveries} put back while the key was in progress and replayed later`,
      });
    },
    profile.testTimeoutMs,
  );

  it("logs hold no secret, token or signature; no unhandled rejection", () => {
    assertCleanRun(run);
  });
});

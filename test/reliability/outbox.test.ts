import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from "vitest";
import type { OutcomeEvent } from "#core/ports.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import { lambdaContext, scheduledEvent } from "#test/support/lambda-events.ts";
import { type OutboxHarness, startOutboxHarness } from "#test/support/outbox-harness.ts";
import { MAX_BUDGET_PER_MINUTE } from "#wiring/config.ts";
import { deliverCancelRequested } from "./support/deliver-cancel-requested.ts";
import { caseSeed, profile } from "./support/profile.ts";
import { mapLimit, quantile } from "./support/queue-platform.ts";
import { assertCleanRun, type ReliabilityRun, startReliabilityRun } from "./support/reliability-run.ts";
import { printSummary, type SummaryRow } from "./support/summary.ts";

/**
 * Case 6. Outcome events are never lost: cancels run on all three triggers (HTTP, bus,
 * sweep) while the local bus refuses 30 % of the relay's PutEvents calls at random and, in
 * the middle, is down altogether for a while. The cancels never wait for the bus (nothing
 * on their path publishes); the relay, reading the audit table's stream through the local
 * event source mapping with the deployed settings, publishes every committed outcome's
 * event once the bus takes it: none lost, duplicates only with the same stable id, the
 * relay's failure queue empty.
 */
const SEED = caseSeed(profile, 6);
const { cancels: CANCELS, inFlight, refuseRate, outageMs, relayBudgetMs } = profile.outbox;

type Plan =
  | { trigger: "http"; kind: "intent"; id: string }
  | { trigger: "http"; kind: "charge"; id: string }
  | { trigger: "bus"; kind: "intent"; id: string }
  | { trigger: "bus"; kind: "charge"; id: string }
  | { trigger: "schedule"; kind: "intent"; id: string };

describe(`reliability: outbox under bus faults (${profile.name})`, () => {
  let run: ReliabilityRun;
  let outbox: OutboxHarness | undefined;
  const rows: SummaryRow[] = [];

  beforeAll(async () => {
    run = await startReliabilityRun({
      name: "reliability-outbox",
      dynamoEndpoint: inject("dynamoEndpoint"),
      // The case is about the bus, not the rate limit: the budget at the largest limit the
      // configuration accepts (MAX_BUDGET_PER_MINUTE, 1,000: one DynamoDB item's ceiling).
      env: {
        PROCURE_CORE_BUDGET_PER_MINUTE: String(MAX_BUDGET_PER_MINUTE),
        A55_BUDGET_PER_MINUTE: String(MAX_BUDGET_PER_MINUTE),
        SWEEP_CONCURRENCY: "8",
      },
      dynamoClient: { connectionTimeoutMs: 5_000, requestTimeoutMs: 10_000 },
    });
    outbox = await startOutboxHarness({
      dynamoEndpoint: inject("dynamoEndpoint"),
      auditTable: run.kit.tables.auditTable,
      relayBudgetMs,
    });
  });
  afterAll(async () => {
    await outbox?.stop();
    await run?.stop();
    if (rows.length > 0) printSummary(profile, SEED, rows);
  });

  it(
    `${CANCELS} cancels over HTTP, bus and sweep while the bus refuses ${refuseRate * 100}% of PutEvents and is down ${outageMs / 1000} s: every outcome's event published, none lost`,
    async () => {
      onTestFailed(() =>
        console.error(`outbox failed: RELIABILITY_SEED=${profile.seed} (case seed ${SEED})`),
      );
      // Prepare: a third each on HTTP, the bus and the sweep; HTTP and bus half intents, half charges.
      const { kit } = run;
      const harness = outbox as OutboxHarness;
      const perTrigger = Math.floor(CANCELS / 3);
      const swept = kit.procureCore.intents
        .generateExpired(CANCELS - 2 * perTrigger, { appId: DEMO_APP_ID, prefix: "outbox_swept_" })
        .map((id): Plan => ({ trigger: "schedule", kind: "intent", id }));
      const coins = fc.sample(fc.boolean(), { seed: SEED, numRuns: 2 * perTrigger });
      const direct: Plan[] = coins.map((intent, i) => {
        const trigger = i % 2 === 0 ? "http" : "bus";
        return intent
          ? { trigger, kind: "intent", id: kit.newIntent("SUBMITTED", { prefix: "outbox" }) }
          : { trigger, kind: "charge", id: kit.newCharge("pending") };
      });
      const plans = [...direct, ...swept];
      const fates = new Map<string, number>();
      const decide = harness.bus.faults.next.bind(harness.bus.faults);
      harness.bus.faults.next = () => {
        const fate = decide();
        fates.set(fate, (fates.get(fate) ?? 0) + 1);
        return fate;
      };
      harness.bus.faults.update({ refuseRate, seed: SEED });
      const startedAt = Date.now();
      let done = 0;
      let cancelsOver = false;
      const answers: string[] = [];

      // Act: the bus goes down once a third of the direct cancels are done, for `outageMs`.
      const outage = (async () => {
        while (done < direct.length / 3 && !cancelsOver) await sleep(10);
        harness.bus.faults.update({ down: true });
        const downAt = Date.now();
        await sleep(outageMs);
        harness.bus.faults.update({ down: false });
        return { downAt, upAt: Date.now() };
      })();
      const sweep = (async () => {
        // The sweep's runs until it finds nothing left to cancel (each run is bounded by its budget).
        let runs = 0;
        for (; runs < 20; runs += 1) {
          const summary = (await kit.handlers.sweep(
            scheduledEvent(),
            lambdaContext({ remainingMs: 300_000 }),
          )) as {
            cancelled: number;
            scanned: number;
          };
          if (summary.scanned === 0) break;
        }
        return runs;
      })();
      await mapLimit(direct, inFlight, async (plan) => {
        const answer = plan.trigger === "http" ? await cancelOverHttp(plan) : await cancelOverBus(plan);
        answers.push(answer);
        done += 1;
      });
      const sweepRuns = await sweep;
      cancelsOver = true;
      const cancelsMs = Date.now() - startedAt;
      const { downAt, upAt } = await outage;
      await harness.waitForPublished(() => kit.announced(), Math.max(120_000, 3 * outageMs));
      await harness.source.waitUntilIdle(60_000);
      harness.bus.faults.reset();
      const durationMs = Date.now() - startedAt;

      // Assess: every cancel ended final, and its outcome was announced.
      const announced = await kit.announced();
      const problems: string[] = [];
      const finalByTarget = new Map<string, OutcomeEvent>();
      for (const event of announced) finalByTarget.set(event.detail.target.id, event);
      for (const plan of plans) {
        const final = finalByTarget.get(plan.id);
        if (final === undefined)
          problems.push(`${plan.trigger} ${plan.kind} ${plan.id}: no outcome announced`);
        else if (final.detail.outcome !== "CANCELLED")
          problems.push(`${plan.trigger} ${plan.kind} ${plan.id}: ended ${final.detail.outcome}`);
        else if (final.detail.trigger !== plan.trigger)
          problems.push(`${plan.id}: announced by ${final.detail.trigger}, planned ${plan.trigger}`);
      }
      expect(problems).toEqual([]);
      expect(new Set(answers)).toEqual(new Set(["ok"]));

      // Every announced event was published (0 lost); nothing else was; duplicates are the same event.
      const published = harness.published();
      const byId = new Map<string, string[]>();
      for (const { event } of published) {
        const id = (event.detail as { eventId: string }).eventId;
        byId.set(id, [...(byId.get(id) ?? []), JSON.stringify([event["detail-type"], event.detail])]);
      }
      const announcedIds = new Set(announced.map((event) => event.detail.eventId));
      const lost = [...announcedIds].filter((id) => !byId.has(id));
      const unknown = [...byId.keys()].filter((id) => !announcedIds.has(id));
      const differing = [...byId.entries()]
        .filter(([, copies]) => new Set(copies).size > 1)
        .map(([id]) => id);
      expect({ lost, unknown, differing }).toEqual({ lost: [], unknown: [], differing: [] });
      for (const event of announced) {
        const copies = byId.get(event.detail.eventId) ?? [];
        expect(copies[0]).toBe(JSON.stringify([event.detailType, event.detail]));
      }
      // The faults happened, and the relay had to retry through them; its failure queue stayed empty.
      const refused = (fates.get("internal-error") ?? 0) + (fates.get("throttled") ?? 0);
      expect(refused).toBeGreaterThan(0);
      expect(fates.get("unavailable") ?? 0).toBeGreaterThan(0);
      expect(harness.failureQueue.messages()).toEqual([]);
      const relay = harness.invocations();
      expect(relay.partial).toBeGreaterThan(0);
      expect(relay.thrown).toBe(0);

      const lagOf = ({ receivedAt, event }: (typeof published)[number]) =>
        receivedAt - Date.parse((event.detail as { at: string }).at);
      const lags = published.map(lagOf);
      // Committed before the bus went down: the lag under random refusals alone.
      const beforeOutage = published
        .filter(({ event }) => Date.parse((event.detail as { at: string }).at) < downAt)
        .map(lagOf);
      const duplicates = published.length - byId.size;
      const counts = (trigger: Plan["trigger"]) => plans.filter((p) => p.trigger === trigger).length;
      // The sandbox's own demo intents are expired too: the sweep cancels (and announces) them as well.
      const sweptAll = announced.filter((event) => event.detail.trigger === "schedule").length;
      rows.push({
        case: "6 outbox under bus faults",
        requests: direct.length + sweepRuns,
        upstream: run.traffic.sent.length,
        effects: kit.procureCore.effects.total() + kit.a55.effects.total(),
        retries: relay.partial,
        deadLetters: harness.failureQueue.messages().length,
        durationMs,
        notes:
          `${plans.length} cancels (${counts("http")} HTTP, ${counts("bus")} bus, ${counts("schedule")} for the sweep, which swept ${sweptAll} in ${sweepRuns} runs), ` +
          `all done in ${(cancelsMs / 1000).toFixed(1)} s; bus down ${((upAt - downAt) / 1000).toFixed(1)} s from ` +
          `${((downAt - startedAt) / 1000).toFixed(1)} s; ${announced.length} events announced, ${byId.size} published ` +
          `(0 lost, ${duplicates} duplicate deliveries, same ids); PutEvents refused ${refused} + ${fates.get("unavailable") ?? 0} while down ` +
          `of ${[...fates.values()].reduce((a, b) => a + b, 0)}; relay ${relay.total} invocations, ${relay.partial} answered with failures ` +
          `(retried from the first), budget ${relayBudgetMs / 1000} s; commit→bus p50 ${quantile(lags, 0.5)} ms, p99 ${quantile(lags, 0.99)} ms, max ${Math.max(...lags)} ms; ` +
          `of the ${beforeOutage.length} committed before the outage p50 ${quantile(beforeOutage, 0.5)} ms, p99 ${quantile(beforeOutage, 0.99)} ms`,
      });
    },
    profile.testTimeoutMs + 2 * outageMs,
  );

  it("logs hold no secret, token or signature; no unhandled rejection", () => {
    assertCleanRun(run);
  });

  const cancelOverHttp = async (plan: Plan): Promise<string> => {
    const headers = { "idempotency-key": randomUUID() };
    const body = JSON.stringify({ reason: "outbox case" });
    const answer = await run.kit.http(
      plan.kind === "intent"
        ? run.signed({ method: "POST", path: `/api/v1/intents/${plan.id}/cancel`, headers, body })
        : run.kit.bearer({
            method: "POST",
            path: `/api/v1/bank/wallet/charge/${plan.id}/cancel/${A55_DEMO_WALLET}/`,
            headers,
            body,
          }),
    );
    return answer.statusCode === 200 ? "ok" : `HTTP ${answer.statusCode} ${answer.rawBody}`;
  };

  const cancelOverBus = async (plan: Plan): Promise<string> => {
    const target =
      plan.kind === "intent"
        ? { type: "intent", id: plan.id }
        : { type: "charge", chargeUuid: plan.id, walletUuid: A55_DEMO_WALLET };
    const answer = (await deliverCancelRequested(run.kit, { target, reason: "outbox case" })) as {
      outcome?: string;
    };
    return answer?.outcome === "CANCELLED" ? "ok" : `bus ${JSON.stringify(answer)}`;
  };
});

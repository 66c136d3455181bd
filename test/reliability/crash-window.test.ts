import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed, vi } from "vitest";
import { StoreUnavailableError } from "#core/errors.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import type { HttpResult } from "#test/support/handler-kit.ts";
import { eventBridgeEvent, lambdaContext } from "#test/support/lambda-events.ts";
import { caseSeed, profile } from "./support/profile.ts";
import { deliverThroughQueue, InvocationTimeoutError, type QueueReport } from "./support/queue-platform.ts";
import { assertCleanRun, type ReliabilityRun, startReliabilityRun } from "./support/reliability-run.ts";
import { printSummary, type SummaryRow } from "./support/summary.ts";

/**
 * Case 3a. Invocations die between the upstream's success and the completion of their
 * idempotency key, at seeded points, over several intents and charges, on the HTTP and
 * the bus trigger. "Dying" is simulated by a continuation that never runs (the function
 * froze or was killed: nothing after that point happens, and the platform gives up on
 * the invocation at its budget) or by a completion write that fails. A retry after the
 * lock has expired must converge on one upstream effect and one audit record.
 */
const SEED = caseSeed(profile, 3);
const TARGETS = profile.crash.targets;
/**
 * The crashing invocation's budget; its lock ends 1 s (the write margin) before. Roomy
 * enough that DynamoDB Local on a loaded machine never makes the first attempt fail
 * before it reaches its crash point.
 */
const CRASH_BUDGET_MS = 4_500;
const LOCK_MS = CRASH_BUDGET_MS - 1_000;

const CRASH_POINTS = [
  /** The upstream answered; the function died before doing anything with the answer. */
  "after-upstream-answer",
  /** The outcome is known; the function died just before the completion write. */
  "before-completion-write",
  /** The completion write was lost (DynamoDB error); the invocation answers 503 / throws. */
  "completion-write-fails",
  /** The completion was written; the function died before answering. */
  "after-completion-write",
] as const;
type CrashPoint = (typeof CRASH_POINTS)[number];

interface CrashPlan {
  type: "intent" | "charge";
  trigger: "http" | "bus";
  point: CrashPoint;
  id: string;
}

const never = (): Promise<never> => new Promise<never>(() => {});

/** How an invocation that never answers ends: middy's early timeout if enabled, else the platform's. */
const LAMBDA_TIMEOUTS = ["TimeoutError", "InvocationTimeoutError"];

/** `invocation`'s answer, or the name of its error or of the platform's timeout at `budgetMs`. */
const answerWithin = async <T>(invocation: Promise<T>, budgetMs: number): Promise<T | string> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(new InvocationTimeoutError("no answer").name), budgetMs);
  });
  try {
    return await Promise.race([invocation, timeout]);
  } catch (error) {
    return error instanceof Error ? error.name : String(error);
  } finally {
    clearTimeout(timer);
  }
};

const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe(`reliability: crash between upstream success and completion (${profile.name})`, () => {
  let run: ReliabilityRun;
  const rows: SummaryRow[] = [];

  beforeAll(async () => {
    run = await startReliabilityRun({
      name: "reliability-crash",
      dynamoEndpoint: inject("dynamoEndpoint"),
      dynamoClient: { connectionTimeoutMs: 5_000, requestTimeoutMs: 10_000 },
    });
  });
  afterAll(async () => {
    await run?.stop();
    if (rows.length > 0) printSummary(profile, SEED, rows);
  });

  it(
    `${TARGETS} crashes at seeded points: each converges on retry with one upstream effect`,
    async () => {
      onTestFailed(() =>
        console.error(`crash window failed: RELIABILITY_SEED=${profile.seed} (case seed ${SEED})`),
      );
      // Prepare: every point used about equally, in a seeded order; intent or charge, HTTP or bus, seeded.
      const { kit, traffic } = run;
      const balanced = Array.from(
        { length: TARGETS },
        (_, i) => CRASH_POINTS[i % CRASH_POINTS.length] as CrashPoint,
      );
      const [points = balanced] = fc.sample(
        fc.shuffledSubarray(balanced, { minLength: TARGETS, maxLength: TARGETS }),
        { seed: SEED, numRuns: 1 },
      );
      const shapes = fc.sample(fc.tuple(fc.boolean(), fc.boolean()), { seed: SEED + 1, numRuns: TARGETS });
      const plans: CrashPlan[] = points.map((point, i) => {
        const [isIntent, overHttp] = shapes[i] ?? [true, true];
        return {
          type: isIntent ? "intent" : "charge",
          trigger: overHttp ? "http" : "bus",
          point,
          id: isIntent ? kit.newIntent("SUBMITTED", { prefix: "crash" }) : kit.newCharge("pending"),
        };
      });
      const planOf = new Map(plans.map((plan) => [plan.id, plan]));
      const crashed = new Set<string>();
      const reached = new Map(plans.map((plan) => [plan.id, deferred()]));
      /** True once, for the target's planned point: this call is where the function dies. */
      const diesHere = (id: string, point: CrashPoint): boolean => {
        if (planOf.get(id)?.point !== point || crashed.has(id)) return false;
        crashed.add(id);
        reached.get(id)?.resolve();
        return true;
      };

      const { intents, charges, work } = kit.container.deps;
      const realCancelIntent = intents.cancelIntent.bind(intents);
      const realCancelCharge = charges.cancelCharge.bind(charges);
      const realFinish = work.finishAttempt.bind(work);
      const spies = [
        vi.spyOn(intents, "cancelIntent").mockImplementation(async (id, options) => {
          const answer = await realCancelIntent(id, options);
          return diesHere(id, "after-upstream-answer") ? never() : answer;
        }),
        vi.spyOn(charges, "cancelCharge").mockImplementation(async (request, options) => {
          const answer = await realCancelCharge(request, options);
          return diesHere(request.chargeUuid, "after-upstream-answer") ? never() : answer;
        }),
        vi.spyOn(work, "finishAttempt").mockImplementation(async (lease, request) => {
          const id = request.outcome.target.id;
          if (diesHere(id, "before-completion-write")) return never();
          if (diesHere(id, "completion-write-fails")) {
            throw new StoreUnavailableError("idempotency", "simulated: the completion write was lost");
          }
          const written = await realFinish(lease, request);
          return diesHere(id, "after-completion-write") ? never() : written;
        }),
      ];

      const request = (plan: CrashPlan, key: string): APIGatewayProxyEventV2 =>
        plan.type === "intent"
          ? run.signed({
              method: "POST",
              path: `/api/v1/intents/${plan.id}/cancel`,
              headers: { "idempotency-key": key },
            })
          : run.kit.bearer({
              method: "POST",
              path: `/api/v1/bank/wallet/charge/${plan.id}/cancel/${A55_DEMO_WALLET}/`,
              headers: { "idempotency-key": key },
              body: JSON.stringify({ reason: "crash window" }),
            });

      interface Observed {
        plan: CrashPlan;
        first: HttpResult | string;
        whileLocked?: HttpResult;
        retry?: HttpResult;
        replay?: HttpResult;
        bus?: { deliveries: number; result: unknown; errors: string[] };
      }

      const overHttp = async (plan: CrashPlan): Promise<Observed> => {
        const key = randomUUID();
        const startedAt = Date.now();
        const dying = answerWithin(
          kit.http(request(plan, key), lambdaContext({ remainingMs: CRASH_BUDGET_MS })),
          CRASH_BUDGET_MS,
        );
        await Promise.race([reached.get(plan.id)?.promise, sleep(CRASH_BUDGET_MS)]);
        // A client retry while the dead invocation's lock holds.
        const whileLocked = await kit.http(request(plan, key));
        const first = await dying;
        await sleep(Math.max(0, startedAt + LOCK_MS + 150 - Date.now()));
        const retry = await kit.http(request(plan, key));
        const replay = await kit.http(request(plan, key));
        return { plan, first, whileLocked, retry, replay };
      };

      /** Every bus plan's event through the work queue at once; a message whose invocation died returns after the visibility timeout. */
      const busPlans = plans.filter((plan) => plan.trigger === "bus");
      const busEvents = new Map(
        busPlans.map((plan) => [
          plan.id,
          eventBridgeEvent({
            target:
              plan.type === "intent"
                ? { type: "intent", id: plan.id }
                : { type: "charge", chargeUuid: plan.id, walletUuid: A55_DEMO_WALLET },
            reason: "crash window",
            idempotencyKey: `crash-${randomUUID()}`,
          }),
        ]),
      );
      const overBus = async (): Promise<Observed[]> => {
        if (busPlans.length === 0) return [];
        const report: QueueReport = await deliverThroughQueue(kit, [...busEvents.values()], {
          maximumConcurrency: busPlans.length,
          batchSize: 1,
          budgetMs: CRASH_BUDGET_MS,
          abandonAfterMs: CRASH_BUDGET_MS,
          // Past both the dead invocation's budget and its lock: SQS's own guard against a second
          // delivery while the first may still run (6 × the function's timeout, deployed).
          visibilityTimeoutSeconds: Math.ceil((CRASH_BUDGET_MS + 500) / 1000),
        });
        return busPlans.map((plan) => {
          const eventId = busEvents.get(plan.id)?.id ?? "";
          return {
            plan,
            first: report.errorsOf.get(eventId)?.[0] ?? "no failure",
            bus: {
              deliveries: report.deliveries.get(eventId) ?? 0,
              result: report.settled.get(eventId)?.result,
              errors: report.errorsOf.get(eventId) ?? [],
            },
          };
        });
      };

      const startedAt = Date.now();

      // Act: all targets at once.
      let observed: Observed[];
      try {
        const [overHttpAll, overBusAll] = await Promise.all([
          Promise.all(plans.filter((plan) => plan.trigger === "http").map(overHttp)),
          overBus(),
        ]);
        observed = [...overHttpAll, ...overBusAll];
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      const durationMs = Date.now() - startedAt;

      // Assess
      const seen = traffic.seen();
      for (const { plan, first, whileLocked, retry, replay, bus } of observed) {
        const trail = await kit.audit({ type: plan.type, id: plan.id });
        const label =
          `${plan.type} ${plan.id} over ${plan.trigger}, died ${plan.point} ` +
          `(audit ${trail.map((r) => `${r.outcome}:${r.detail ?? ""}`).join(", ")}; bus errors ${bus?.errors.join(",") ?? "-"})`;
        expect(crashed.has(plan.id), `${label}: the crash point was reached`).toBe(true);
        const completedBeforeDying = plan.point === "after-completion-write";
        // The dead invocation: a 503 for a lost write, otherwise no answer within its budget.
        if (plan.point === "completion-write-fails") {
          if (plan.trigger === "http") {
            expect((first as HttpResult).statusCode, label).toBe(503);
            expect((first as HttpResult).headers["retry-after"], label).toBe("1");
          } else {
            expect(first, label).toBe("StoreUnavailableError");
          }
        } else {
          expect(LAMBDA_TIMEOUTS, label).toContain(first);
        }
        const success =
          plan.type === "intent"
            ? { code: 0, data: { id: plan.id, status: "CANCELLED" } }
            : { charge_uuid: plan.id, wallet_uuid: A55_DEMO_WALLET, status: "canceled" };
        if (plan.trigger === "http") {
          // While the lock holds: 409 with Retry-After (or the replay, when the completion was written).
          if (completedBeforeDying) {
            expect(whileLocked?.statusCode, label).toBe(200);
            expect(whileLocked?.headers["idempotent-replayed"], label).toBe("true");
          } else {
            expect(whileLocked?.statusCode, label).toBe(409);
            expect(whileLocked?.headers["retry-after"], label).toMatch(/^[1-9]\d*$/);
          }
          expect(retry?.statusCode, label).toBe(200);
          expect(retry?.body, label).toMatchObject(success);
          expect(retry?.headers["idempotent-replayed"], label).toBe(
            completedBeforeDying ? "true" : undefined,
          );
          expect(replay?.headers["idempotent-replayed"], label).toBe("true");
          expect(replay?.rawBody, label).toBe(retry?.rawBody);
        } else {
          // The queue's second delivery, after the visibility timeout (past the lock), converges.
          expect(bus?.deliveries, label).toBe(2);
          expect(bus?.result, label).toEqual({ outcome: "CANCELLED", replayed: completedBeforeDying });
        }

        // One upstream effect; the retry did not cancel again.
        const effects = plan.type === "intent" ? kit.procureCore.effects : kit.a55.effects;
        expect(effects.count(plan.id), `${label}: upstream effects`).toBe(1);
        const toTarget = seen.filter((r) => r.target === plan.id);
        if (plan.type === "intent") {
          // The resumed attempt sends the cancel again (Procure-Core answers "already
          // CANCELLED", its own success after an attempt that may have acted) and reads the
          // intent back for the answer the first attempt lost; the effect count above is 1.
          const expected = completedBeforeDying ? ["POST"] : ["POST", "POST", "GET"];
          expect(
            toTarget.map((r) => r.method),
            label,
          ).toEqual(expected);
        } else {
          // The resumed attempt re-sends the same A55 Idempotency-Key, and A55 replays.
          const a55 = kit.a55.seen().filter((r) => r.path.includes(plan.id));
          const expected = completedBeforeDying
            ? [[200, false]]
            : [
                [200, false],
                [200, true],
              ];
          expect(
            a55.map((r) => [r.status, r.replayed]),
            label,
          ).toEqual(expected);
          expect(new Set(a55.map((r) => r.idempotencyKey)).size, label).toBe(1);
        }
        expect(
          trail.map((r) => r.outcome),
          `${label}: audit`,
        ).toEqual(["CANCELLED"]);
      }

      const count = (point: CrashPoint) => plans.filter((p) => p.point === point).length;
      rows.push({
        case: "3a crash window",
        requests: observed.reduce((sum, o) => sum + (o.bus ? o.bus.deliveries : 4), 0),
        upstream: traffic.sent.length,
        effects: kit.procureCore.effects.total() + kit.a55.effects.total(),
        retries: observed.reduce((sum, o) => sum + (o.bus ? o.bus.deliveries - 1 : 1), 0),
        deadLetters: 0,
        durationMs,
        notes:
          `${TARGETS} targets (${plans.filter((p) => p.type === "intent").length} intents, ` +
          `${plans.filter((p) => p.trigger === "http").length} over HTTP); died ` +
          CRASH_POINTS.map((point) => `${point} ×${count(point)}`).join(", "),
      });
    },
    profile.testTimeoutMs,
  );

  it("logs hold no secret, token or signature; no unhandled rejection", () => {
    assertCleanRun(run);
  });
});

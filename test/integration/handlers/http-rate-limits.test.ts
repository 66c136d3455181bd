/**
 * Honest answers under load, end to end through the exported HTTP handler: when the shared
 * upstream budget is spent (here by "another container" taking the slots first) or the
 * upstream itself answers 429, the caller gets 429 at once with `Retry-After` — the time
 * until a slot frees, or the upstream's own — in the route's dialect: A55's error body on
 * the charge route (seed 001), Procure-Core's envelope with code 42900 on the intent route.
 * Nothing is stored as the outcome: the same request goes through once a slot is free.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { STATIC_TOKEN_CLIENT } from "#adapters/a55/token-source.ts";
import { DynamoRingStore } from "#adapters/budget/budget-ring-store.ts";
import { SharedUpstreamBudget } from "#adapters/budget/shared-upstream-budget.ts";
import { type UpstreamName, UpstreamRateLimitedError } from "#core/errors.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";

const A55_LIMIT = 3;
const PROCURE_CORE_LIMIT = 4;
const MINUTE_S = 60;
/** The kit's window: a minute plus its margin, in seconds. */
const windowSeconds = (kit: HandlerKit): number => MINUTE_S + kit.container.config.budget.marginMs / 1000;

describe("http-api handler: 429 at once when the shared upstream budget is spent", () => {
  let kit: HandlerKit;
  /** Another container of the service, sharing the budget's table. */
  let otherContainer: SharedUpstreamBudget;

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "http-rate-limits",
      dynamoEndpoint: inject("dynamoEndpoint"),
      env: {
        A55_BUDGET_PER_MINUTE: String(A55_LIMIT),
        PROCURE_CORE_BUDGET_PER_MINUTE: String(PROCURE_CORE_LIMIT),
      },
    });
    otherContainer = new SharedUpstreamBudget({
      ...kit.container.config.budget,
      store: new DynamoRingStore({ client: kit.dynamo, table: kit.tables.idempotencyTable }),
    });
  });
  afterAll(async () => {
    await kit?.close();
  });

  /** Takes every free slot of a client's ring, as other containers' requests would; returns when it began. */
  const spend = async (upstream: UpstreamName, client: string): Promise<number> => {
    const began = Date.now();
    for (;;) {
      const refused = await otherContainer
        .take({ upstream, client, priority: "interactive", deadline: Date.now() + 5_000 })
        .then(() => false)
        .catch((error: unknown) => {
          if (error instanceof UpstreamRateLimitedError) return true;
          throw error;
        });
      if (refused) return began;
    }
  };
  const chargeCancel = (charge: string) =>
    kit.http(
      kit.bearer({
        method: "POST",
        path: `/api/v1/bank/wallet/charge/${charge}/cancel/${A55_DEMO_WALLET}/`,
        body: JSON.stringify({ reason: "客户在发货前要求取消" }),
      }),
    );
  const intentCancel = (id: string, key = randomUUID()) =>
    kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/intents/${id}/cancel`,
        headers: { "idempotency-key": key },
      }),
    );

  it("charge route, budget spent: 429 with A55's error body and Retry-After until a slot frees, answered at once, nothing sent", async () => {
    // Prepare
    const charge = kit.newCharge("pending");
    const spentAt = await spend("a55", STATIC_TOKEN_CLIENT);
    const seenBefore = kit.a55.seen().length;

    // Act
    const started = Date.now();
    const response = await chargeCancel(charge);
    const answeredInMs = Date.now() - started;

    // Assess
    expect(response.statusCode).toBe(429);
    expect(response.body).toEqual({
      charge_uuid: charge,
      status: "error",
      message: [{ code: "RATE_LIMITED", source: "upstream", description: expect.any(String) }],
    });
    const retryAfter = Number(response.headers["retry-after"]);
    // The oldest slot frees one window (a minute plus the margin) after it was taken.
    expect(retryAfter).toBeGreaterThanOrEqual(MINUTE_S - Math.ceil((Date.now() - spentAt) / 1000));
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds(kit));
    // It did not wait out the budget (a minute): it answered long before a slot could free.
    expect(answeredInMs).toBeLessThan(5_000);
    expect(kit.a55.seen().length).toBe(seenBefore);
    expect(kit.a55.charges.get(charge)?.status).toBe("pending");
    const [record] = await kit.audit({ type: "charge", id: charge });
    expect(record).toMatchObject({ outcome: "FAILED", retryable: true, problem: "rate-limited" });
  });

  it("intent route, budget spent: 429 in Procure-Core's envelope (code 42900) with Retry-After, nothing sent; a retry with the same key runs again, not replayed", async () => {
    // Prepare
    const id = kit.newIntent("SUBMITTED");
    const key = randomUUID();
    const spentAt = await spend("procure-core", DEMO_APP_ID);
    const requestsBefore = kit.procureCore.requests.count();

    // Act
    const started = Date.now();
    const response = await intentCancel(id, key);
    const answeredInMs = Date.now() - started;

    // Assess
    expect(response.statusCode).toBe(429);
    expect(response.body).toEqual({
      code: 42900,
      message: "请求过于频繁,请稍后重试",
      data: { reason: expect.stringMatching(/budget/) },
    });
    expect(Number(response.headers["retry-after"])).toBeGreaterThanOrEqual(
      MINUTE_S - Math.ceil((Date.now() - spentAt) / 1000),
    );
    expect(Number(response.headers["retry-after"])).toBeLessThanOrEqual(windowSeconds(kit));
    expect(answeredInMs).toBeLessThan(5_000);
    expect(kit.procureCore.requests.count()).toBe(requestsBefore);
    expect(kit.procureCore.intents.get(id)?.status).toBe("SUBMITTED");
    // Not stored as the key's outcome: a retry with the same key runs again (and is refused again, not replayed).
    const again = await intentCancel(id, key);
    expect(again.statusCode).toBe(429);
    expect(again.headers["idempotent-replayed"]).toBeUndefined();
  });
});

describe("http-api handler: 429 with the upstream's own Retry-After when it answers 429", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-upstream-429", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterAll(async () => {
    await kit?.close();
  });

  const chargeCancel = (charge: string) =>
    kit.http(
      kit.bearer({
        method: "POST",
        path: `/api/v1/bank/wallet/charge/${charge}/cancel/${A55_DEMO_WALLET}/`,
        body: JSON.stringify({ reason: "客户在发货前要求取消" }),
      }),
    );
  const intentCancel = (id: string, key = randomUUID()) =>
    kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/intents/${id}/cancel`,
        headers: { "idempotency-key": key },
      }),
    );

  it("charge route, A55 answers 429 beyond the deadline: 429 with A55's own Retry-After, not retried, not replaced by 1", async () => {
    // Prepare: A55 refuses the next request with Retry-After: 45 (the handler has 10 s).
    const charge = kit.newCharge("pending");
    kit.a55.faults.update({ rateLimitBurst: 1, retryAfterSeconds: 45 });
    const seenBefore = kit.a55.seen().length;

    // Act
    const response = await chargeCancel(charge);

    // Assess
    expect(response.statusCode).toBe(429);
    expect(response.headers["retry-after"]).toBe("45");
    expect(response.body).toEqual({
      charge_uuid: charge,
      status: "error",
      message: [{ code: "RATE_LIMITED", source: "upstream", description: expect.any(String) }],
    });
    expect(
      kit.a55
        .seen()
        .slice(seenBefore)
        .map((request) => request.status),
    ).toEqual([429]);
    expect(kit.a55.charges.get(charge)?.status).toBe("pending");
  });

  it("intent route, Procure-Core answers 429 beyond the deadline: 429 envelope 42900 with its own Retry-After, not retried", async () => {
    // Prepare: Procure-Core refuses the next request with Retry-After: 37 (the handler has 10 s).
    const id = kit.newIntent("SUBMITTED");
    kit.procureCore.faults.update({ rateLimitBurst: 1, retryAfterSeconds: 37 });

    // Act
    const response = await intentCancel(id);

    // Assess
    expect(response.statusCode).toBe(429);
    expect(response.headers["retry-after"]).toBe("37");
    expect(response.body).toEqual({
      code: 42900,
      message: "请求过于频繁,请稍后重试",
      data: { reason: expect.stringMatching(/HTTP 429/) },
    });
    // Not retried: the one 429 was the only refusal, so a second attempt would have succeeded.
    expect(kit.procureCore.intents.get(id)?.status).toBe("SUBMITTED");
  });
});

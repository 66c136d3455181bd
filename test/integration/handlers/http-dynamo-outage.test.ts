import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { type DynamoLocal, startDynamoLocal } from "#test/support/dynamo-local.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";

// A private DynamoDB Local with its own container: stopping the shared one would break every other file.
describe("http-api handler when DynamoDB goes away mid-test", () => {
  let local: DynamoLocal;
  let kit: HandlerKit;

  beforeAll(async () => {
    local = await startDynamoLocal();
    kit = await startHandlerKit({
      name: "http-outage",
      dynamoEndpoint: local.endpoint,
      dynamoClient: { maxAttempts: 2, connectionTimeoutMs: 300, requestTimeoutMs: 1_000 },
    });
  });
  afterAll(async () => {
    await kit?.close({ dropTables: false });
    await local?.stop();
  });

  it("fails closed: 503 with Retry-After, and neither upstream sees a cancel", async () => {
    // Prepare: the service works, then DynamoDB Local is stopped.
    const working = kit.newIntent("SUBMITTED");
    const before = await kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/intents/${working}/cancel`,
        headers: { "idempotency-key": randomUUID() },
      }),
    );
    expect(before.statusCode).toBe(200);
    expect((await kit.announced()).map((e) => e.detail.target.id)).toEqual([working]);
    await local.stop();
    const intentId = kit.newIntent("SUBMITTED");
    const chargeUuid = kit.newCharge("pending");
    const procureCoreSeen = kit.procureCore.requests.count();
    const a55Seen = kit.a55.seen().length;

    // Act
    const intent = await kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/intents/${intentId}/cancel`,
        headers: { "idempotency-key": randomUUID() },
      }),
    );
    const charge = await kit.http(
      kit.bearer({
        method: "POST",
        path: `/api/v1/bank/wallet/charge/${chargeUuid}/cancel/${A55_DEMO_WALLET}/`,
        body: JSON.stringify({ reason: "outage" }),
      }),
    );

    // Assess
    expect(intent.statusCode).toBe(503);
    expect(intent.headers["retry-after"]).toBe("1");
    expect(intent.body).toEqual({
      code: 50300,
      message: "服务暂时不可用,请稍后重试",
      data: { message: "A store the service needs is unavailable; retry later" },
    });
    expect(charge.statusCode).toBe(503);
    expect(charge.headers["retry-after"]).toBe("1");
    expect(charge.body).toEqual({
      charge_uuid: chargeUuid,
      status: "error",
      message: [
        {
          code: "SERVICE_UNAVAILABLE",
          source: "request",
          description: "A store the service needs is unavailable; retry later",
        },
      ],
    });
    expect(kit.procureCore.effects.count(intentId)).toBe(0);
    expect(kit.procureCore.requests.count()).toBe(procureCoreSeen);
    expect(kit.procureCore.intents.get(intentId)?.status).toBe("SUBMITTED");
    expect(kit.a55.effects.count(chargeUuid)).toBe(0);
    expect(kit.a55.seen().length).toBe(a55Seen);
    // Nothing more can be announced: an outcome event exists only as a committed audit record.
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { eventBridgeEvent, lambdaContext } from "#test/support/lambda-events.ts";

/** The exported `Cancel Requested` handler on the bus, end to end. */
describe("cancel-requested handler", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "bus", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterEach(() => {
    kit.procureCore.faults.reset();
    kit.a55.faults.reset();
  });
  afterAll(async () => {
    await kit?.close();
  });

  const deliver = (event: ReturnType<typeof eventBridgeEvent>) => kit.handlers.bus(event, lambdaContext());
  const publishedFor = async (id: string) => (await kit.announced()).filter((e) => e.detail.target.id === id);

  it("intent: cancelled, audited with the event's actor, and the outcome published back", async () => {
    // Prepare
    const id = kit.newIntent("SUBMITTED");
    const key = `order-${randomUUID()}-intent`;
    const event = eventBridgeEvent({
      target: { type: "intent", id },
      reason: "customer changed their mind",
      idempotencyKey: key,
      requestedBy: "agent-42",
    });

    // Act
    const result = await deliver(event);

    // Assess
    expect(result).toEqual({ outcome: "CANCELLED", replayed: false });
    expect(kit.procureCore.effects.count(id)).toBe(1);
    expect(await kit.audit({ type: "intent", id })).toEqual([
      expect.objectContaining({
        trigger: "bus",
        actor: "storefront.orders/agent-42",
        outcome: "CANCELLED",
        reason: "customer changed their mind",
        idempotencyKey: key,
        correlationId: event.id,
      }),
    ]);
    expect(await publishedFor(id)).toEqual([
      {
        detailType: "Cancellation Succeeded",
        detail: {
          eventId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
          target: { type: "intent", id },
          outcome: "CANCELLED",
          trigger: "bus",
          reason: "customer changed their mind",
          idempotencyKey: key,
          correlationId: event.id,
          at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      },
    ]);
  });

  it("charge: cancelled and published with its wallet", async () => {
    const chargeUuid = kit.newCharge("pending");

    const result = await deliver(
      eventBridgeEvent({ target: { type: "charge", chargeUuid, walletUuid: A55_DEMO_WALLET } }),
    );

    expect(result).toEqual({ outcome: "CANCELLED", replayed: false });
    expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    expect(await publishedFor(chargeUuid)).toEqual([
      {
        detailType: "Cancellation Succeeded",
        detail: expect.objectContaining({
          target: { type: "charge", id: chargeUuid, walletUuid: A55_DEMO_WALLET },
          outcome: "CANCELLED",
          trigger: "bus",
        }),
      },
    ]);
  });

  it("order: intent then charge cancelled, one outcome event for the order", async () => {
    const orderId = `order-${randomUUID().slice(0, 8)}`;
    const intentId = kit.newIntent("SUBMITTED");
    const chargeUuid = kit.newCharge("pending");

    const result = await deliver(
      eventBridgeEvent({
        target: { type: "order", orderId, intentId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET } },
      }),
    );

    expect(result).toEqual({ outcome: "CANCELLED", replayed: false });
    expect(kit.procureCore.effects.count(intentId)).toBe(1);
    expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    expect((await publishedFor(orderId)).map((e) => [e.detailType, e.detail.outcome])).toEqual([
      ["Cancellation Succeeded", "CANCELLED"],
    ]);
  });

  it("order with a settled charge: REFUND_REQUIRED and a Refund Required event", async () => {
    const orderId = `order-${randomUUID().slice(0, 8)}`;
    const chargeUuid = kit.newCharge("settled");

    const result = await deliver(
      eventBridgeEvent({
        target: { type: "order", orderId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET } },
      }),
    );

    expect(result).toEqual({ outcome: "REFUND_REQUIRED", replayed: false });
    expect((await publishedFor(orderId)).map((e) => e.detailType)).toEqual(["Refund Required"]);
  });

  it("a duplicate (same idempotency key, or the same event delivered twice) is replayed: one effect, one event", async () => {
    const keyed = kit.newIntent("SUBMITTED");
    const key = `dup-${randomUUID()}`;
    const unkeyed = kit.newIntent("SUBMITTED");
    const redelivered = eventBridgeEvent({ target: { type: "intent", id: unkeyed } });

    const results = [
      await deliver(eventBridgeEvent({ target: { type: "intent", id: keyed }, idempotencyKey: key })),
      await deliver(eventBridgeEvent({ target: { type: "intent", id: keyed }, idempotencyKey: key })),
      await deliver(redelivered),
      await deliver(redelivered),
    ];

    expect(results).toEqual([
      { outcome: "CANCELLED", replayed: false },
      { outcome: "CANCELLED", replayed: true },
      { outcome: "CANCELLED", replayed: false },
      { outcome: "CANCELLED", replayed: true },
    ]);
    for (const id of [keyed, unkeyed]) {
      expect(kit.procureCore.effects.count(id)).toBe(1);
      expect(await publishedFor(id)).toHaveLength(1);
      expect(await kit.audit({ type: "intent", id })).toHaveLength(1);
    }
  });

  it("an invalid detail does not throw: a REJECTED audit record and a Cancellation Rejected event, nothing sent", async () => {
    const event = eventBridgeEvent({
      target: { type: "charge", chargeUuid: "nope", walletUuid: A55_DEMO_WALLET },
    });
    const sentBefore = kit.a55.seen().length + kit.procureCore.requests.count();

    const result = await deliver(event);

    expect(result).toEqual({ outcome: "REJECTED", replayed: false });
    const [record, ...more] = await kit.audit({ type: "event", id: event.id });
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      target: { type: "event", id: event.id },
      trigger: "bus",
      actor: "storefront.orders",
      outcome: "REJECTED",
      correlationId: event.id,
    });
    expect(record?.detail).toContain("target.chargeUuid");
    expect(await publishedFor(event.id)).toEqual([
      {
        detailType: "Cancellation Rejected",
        detail: expect.objectContaining({
          target: { type: "event", id: event.id },
          outcome: "REJECTED",
          detail: expect.stringContaining("target.chargeUuid"),
        }),
      },
    ]);
    expect(kit.a55.seen().length + kit.procureCore.requests.count()).toBe(sentBefore);

    // EventBridge delivers at least once: the same invalid event again is replayed, not recorded twice.
    expect(await deliver(event)).toEqual({ outcome: "REJECTED", replayed: true });
    expect(await kit.audit({ type: "event", id: event.id })).toHaveLength(1);
    expect(await publishedFor(event.id)).toHaveLength(1);
  });

  it("a transient upstream failure throws (so the platform retries), and the redelivery converges", async () => {
    // Prepare: Procure-Core answers every request with a 500.
    const id = kit.newIntent("SUBMITTED");
    const event = eventBridgeEvent({
      target: { type: "intent", id },
      idempotencyKey: `flaky-${randomUUID()}`,
    });
    kit.procureCore.faults.update({ errorRate: 1 });

    // Act + Assess: the failure is thrown, audited as retryable, and not published as an outcome.
    await expect(deliver(event)).rejects.toMatchObject({ name: "RetryLaterError" });
    expect(kit.procureCore.effects.count(id)).toBe(0);
    expect(await kit.audit({ type: "intent", id })).toEqual([
      expect.objectContaining({ outcome: "FAILED", retryable: true }),
    ]);
    expect(await publishedFor(id)).toEqual([]);

    // The platform delivers the same event again once Procure-Core is back.
    kit.procureCore.faults.reset();
    expect(await deliver(event)).toEqual({ outcome: "CANCELLED", replayed: false });
    expect(kit.procureCore.effects.count(id)).toBe(1);
    expect((await publishedFor(id)).map((e) => e.detailType)).toEqual(["Cancellation Succeeded"]);
  });

  it("a transient A55 failure throws too", async () => {
    const chargeUuid = kit.newCharge("pending");
    kit.a55.faults.update({ errorRate: 1 });

    await expect(
      deliver(eventBridgeEvent({ target: { type: "charge", chargeUuid, walletUuid: A55_DEMO_WALLET } })),
    ).rejects.toMatchObject({ name: "RetryLaterError" });
    expect(kit.a55.effects.count(chargeUuid)).toBe(0);
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { RedeliveryError } from "#adapters/queue/queue-errors.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { eventBridgeEvent, lambdaContext } from "#test/support/lambda-events.ts";
import { getBusWiring, setBusWiring } from "#wiring/bus-wiring.ts";

const settled = (outcome: string, replayed = false) => ({ kind: "settled", outcome, replayed });
const VISIBILITY_MS = FUNCTIONS.CancelRequested.trigger.visibilityTimeoutSeconds * 1000;
/** SQS's longest message delay: a copy put back for later is visible by then at the latest. */
const MAX_DELAY_MS = 900_000;

/**
 * The exported bus handler on its SQS work queue, end to end: messages are put on the queue
 * as the `Cancel Requested` rule does, and delivered in batches as the event source mapping
 * does (ReportBatchItemFailures); the queue's own clock is moved on to let time pass.
 */
describe("cancel-requested handler (SQS work queue)", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "bus", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterEach(() => {
    kit.procureCore.faults.reset();
    kit.a55.faults.reset();
    // Whatever a test left on the queue (delayed copies) must not reach the next one.
    kit.busQueue.queue.purge();
    kit.busQueue.deadLetters.purge();
  });
  afterAll(async () => {
    await kit?.close();
  });

  const publishedFor = async (id: string) => (await kit.announced()).filter((e) => e.detail.target.id === id);
  const queueIsEmpty = () =>
    expect(kit.busQueue.queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

  it("intent: cancelled, audited with the event's actor, announced, and the message deleted", async () => {
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
    const delivery = await kit.deliverBus(event);

    // Assess
    expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("CANCELLED")]);
    expect(delivery.result).toEqual({ ok: true, value: { batchItemFailures: [] } });
    queueIsEmpty();
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

  it("charge: cancelled and announced with its wallet", async () => {
    const chargeUuid = kit.newCharge("pending");

    const delivery = await kit.deliverBus(
      eventBridgeEvent({ target: { type: "charge", chargeUuid, walletUuid: A55_DEMO_WALLET } }),
    );

    expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("CANCELLED")]);
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

    const delivery = await kit.deliverBus(
      eventBridgeEvent({
        target: { type: "order", orderId, intentId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET } },
      }),
    );

    expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("CANCELLED")]);
    expect(kit.procureCore.effects.count(intentId)).toBe(1);
    expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    expect((await publishedFor(orderId)).map((e) => [e.detailType, e.detail.outcome])).toEqual([
      ["Cancellation Succeeded", "CANCELLED"],
    ]);
  });

  it("order with a settled charge: REFUND_REQUIRED and a Refund Required event", async () => {
    const orderId = `order-${randomUUID().slice(0, 8)}`;
    const chargeUuid = kit.newCharge("settled");

    const delivery = await kit.deliverBus(
      eventBridgeEvent({
        target: { type: "order", orderId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET } },
      }),
    );

    expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("REFUND_REQUIRED")]);
    expect((await publishedFor(orderId)).map((e) => e.detailType)).toEqual(["Refund Required"]);
  });

  it("a duplicate (same idempotency key, or the same event delivered twice) is replayed: one effect, one event", async () => {
    const keyed = kit.newIntent("SUBMITTED");
    const key = `dup-${randomUUID()}`;
    const unkeyed = kit.newIntent("SUBMITTED");
    const redelivered = eventBridgeEvent({ target: { type: "intent", id: unkeyed } });

    const deliveries = [
      await kit.deliverBus(eventBridgeEvent({ target: { type: "intent", id: keyed }, idempotencyKey: key })),
      await kit.deliverBus(eventBridgeEvent({ target: { type: "intent", id: keyed }, idempotencyKey: key })),
      await kit.deliverBus(redelivered),
      await kit.deliverBus(redelivered),
    ];

    expect(deliveries.flatMap((d) => d.verdicts.map((v) => v.verdict))).toEqual([
      settled("CANCELLED"),
      settled("CANCELLED", true),
      settled("CANCELLED"),
      settled("CANCELLED", true),
    ]);
    for (const id of [keyed, unkeyed]) {
      expect(kit.procureCore.effects.count(id)).toBe(1);
      expect(await publishedFor(id)).toHaveLength(1);
      expect(await kit.audit({ type: "intent", id })).toHaveLength(1);
    }
    queueIsEmpty();
  });

  it("an invalid detail is not a failure: a REJECTED record and a Cancellation Rejected event, nothing sent, replayed when redelivered", async () => {
    const event = eventBridgeEvent({
      target: { type: "charge", chargeUuid: "nope", walletUuid: A55_DEMO_WALLET },
    });
    const sentBefore = kit.a55.seen().length + kit.procureCore.requests.count();

    const delivery = await kit.deliverBus(event);

    expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("REJECTED")]);
    expect(delivery.result).toEqual({ ok: true, value: { batchItemFailures: [] } });
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

    // Delivery is at least once: the same invalid event again is replayed, not recorded twice.
    expect((await kit.deliverBus(event)).verdicts.map((v) => v.verdict)).toEqual([settled("REJECTED", true)]);
    expect(await kit.audit({ type: "event", id: event.id })).toHaveLength(1);
    expect(await publishedFor(event.id)).toHaveLength(1);
  });

  it("a message whose body is not an EventBridge event is rejected for good under its message id", async () => {
    const { messageId: strayId } = kit.busQueue.queue.send({ body: '{"hello":"not an event"}' });

    const delivery = await kit.busQueue.deliverBatch(kit.handlers.bus);

    expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("REJECTED")]);
    queueIsEmpty();
    expect(await kit.audit({ type: "event", id: strayId })).toEqual([
      expect.objectContaining({ outcome: "REJECTED", detail: expect.stringContaining('no "id"') }),
    ]);
  });

  it("a transient upstream failure fails the message (batch item failure); it returns after the visibility timeout and converges", async () => {
    // Prepare: Procure-Core answers every request with a 500.
    const id = kit.newIntent("SUBMITTED");
    const event = eventBridgeEvent({
      target: { type: "intent", id },
      idempotencyKey: `flaky-${randomUUID()}`,
    });
    kit.procureCore.faults.update({ errorRate: 1 });

    // Act
    const failed = await kit.deliverBus(event);

    // Assess: failed as a whole batch (its only message), audited as retryable, nothing announced.
    expect(failed.verdicts.map((v) => v.verdict)).toEqual([
      expect.objectContaining({ kind: "failed", problem: "unavailable" }),
    ]);
    expect(failed.result).toMatchObject({ ok: false, error: { name: "FullBatchFailureError" } });
    expect(failed.settlement).toEqual({ deleted: 0, failed: 1, wholeBatchFailed: true });
    expect(kit.busQueue.queue.counts()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(kit.procureCore.effects.count(id)).toBe(0);
    expect(await kit.audit({ type: "intent", id })).toEqual([
      expect.objectContaining({ outcome: "FAILED", retryable: true }),
    ]);
    expect(await publishedFor(id)).toEqual([]);

    // The message comes back once its visibility timeout is over; Procure-Core is back too.
    kit.procureCore.faults.reset();
    expect((await kit.busQueue.deliverBatch(kit.handlers.bus)).verdicts).toEqual([]);
    kit.busQueue.advance(VISIBILITY_MS);
    const retried = await kit.busQueue.deliverBatch(kit.handlers.bus);
    expect(retried.verdicts.map((v) => [v.receiveCount, v.verdict])).toEqual([[2, settled("CANCELLED")]]);
    expect(kit.procureCore.effects.count(id)).toBe(1);
    expect((await publishedFor(id)).map((e) => e.detailType)).toEqual(["Cancellation Succeeded"]);
    queueIsEmpty();
  });

  it("a message that keeps failing is dead-lettered on its maxReceiveCount-th receive, untouched, with its error", async () => {
    const chargeUuid = kit.newCharge("pending");
    const event = eventBridgeEvent({ target: { type: "charge", chargeUuid, walletUuid: A55_DEMO_WALLET } });
    kit.a55.faults.update({ errorRate: 1 });
    kit.busQueue.put(event);

    const receives: number[] = [];
    for (let i = 0; i <= FUNCTIONS.CancelRequested.trigger.maxReceiveCount; i++) {
      const delivery = await kit.busQueue.deliverBatch(kit.handlers.bus);
      receives.push(...delivery.verdicts.map((v) => v.receiveCount));
      kit.busQueue.advance(VISIBILITY_MS);
    }

    expect(receives).toEqual([1, 2, 3, 4, 5]);
    const [dead, ...others] = kit.busQueue.deadLetters.messages();
    expect(others).toEqual([]);
    expect(JSON.parse(dead?.body ?? "{}")).toEqual(event);
    // Moved by the function on the last receive, with the error that ended it (SQS keeps none).
    expect(dead?.attributes).toEqual({
      ERROR_CODE: { DataType: "String", StringValue: "RetryLaterError" },
      ERROR_MESSAGE: {
        DataType: "String",
        StringValue: expect.stringMatching(/^Operational failure \(unavailable\): /),
      },
      receives: {
        DataType: "Number",
        StringValue: String(FUNCTIONS.CancelRequested.trigger.maxReceiveCount),
      },
    });
    queueIsEmpty();
    expect(kit.a55.effects.count(chargeUuid)).toBe(0);
  });

  it("a rate-limited message goes back on the queue with a delay, never towards the dead-letter queue, and converges", async () => {
    // Prepare: A55 answers 429 (Retry-After 12 s) to everything; the invocation has 10 s, so the
    // client gives up waiting and the cancel ends rate-limited. (The container then sends A55
    // nothing until that Retry-After has passed: the converging delivery waits it out.)
    const chargeUuid = kit.newCharge("pending");
    const event = eventBridgeEvent({ target: { type: "charge", chargeUuid, walletUuid: A55_DEMO_WALLET } });
    kit.a55.faults.update({ rateLimitRate: 1, retryAfterSeconds: 12 });
    kit.busQueue.put(event);
    const rounds = FUNCTIONS.CancelRequested.trigger.maxReceiveCount + 2;

    // Act: more rate-limited rounds than maxReceiveCount.
    const verdicts: unknown[] = [];
    const redeliveries: (string | undefined)[] = [];
    for (let round = 0; round < rounds; round++) {
      const delivery = await kit.busQueue.deliverBatch(kit.handlers.bus, {
        context: lambdaContext({ remainingMs: 10_000 }),
      });
      verdicts.push(...delivery.verdicts.map((v) => [v.receiveCount, v.verdict.kind]));
      expect(delivery.result).toEqual({ ok: true, value: { batchItemFailures: [] } });
      const [copy] = kit.busQueue.queue.messages();
      redeliveries.push(copy?.attributes.redeliveries?.StringValue);
      expect(kit.busQueue.queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      kit.busQueue.advance(MAX_DELAY_MS);
    }
    kit.a55.faults.reset();
    const done = await kit.busQueue.deliverBatch(kit.handlers.bus);

    // Assess: every round was a fresh message received once; none was dead-lettered; then it converged.
    expect(verdicts).toEqual(Array.from({ length: rounds }, () => [1, "later"]));
    expect(redeliveries).toEqual(Array.from({ length: rounds }, (_, i) => String(i + 1)));
    expect(kit.busQueue.deadLetters.counts().visible).toBe(0);
    expect(done.verdicts.map((v) => v.verdict)).toEqual([settled("CANCELLED")]);
    expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    expect(await kit.audit({ type: "charge", id: chargeUuid })).toEqual([
      expect.objectContaining({ outcome: "CANCELLED" }),
      ...Array.from({ length: rounds }, () =>
        expect.objectContaining({ outcome: "FAILED", retryable: true }),
      ),
    ]);
    queueIsEmpty();
  }, 60_000);

  it("the same request still running elsewhere is put back until its lock ends, not failed", async () => {
    // Prepare: a slow Procure-Core keeps the first delivery's key in progress.
    const id = kit.newIntent("SUBMITTED");
    const key = `busy-${randomUUID()}`;
    kit.procureCore.faults.update({ latencyMs: 1_500 });
    kit.busQueue.put(eventBridgeEvent({ target: { type: "intent", id }, idempotencyKey: key }));
    kit.busQueue.put(eventBridgeEvent({ target: { type: "intent", id }, idempotencyKey: key }));

    // Act: two invocations at once, one message each.
    const [a, b] = await Promise.all([
      kit.busQueue.deliverBatch(kit.handlers.bus, { maxMessages: 1 }),
      kit.busQueue.deliverBatch(kit.handlers.bus, { maxMessages: 1 }),
    ]);

    // Assess
    const verdicts = [...(a?.verdicts ?? []), ...(b?.verdicts ?? [])].map((v) => v.verdict);
    expect(verdicts).toEqual(
      expect.arrayContaining([
        settled("CANCELLED"),
        expect.objectContaining({ kind: "later", why: "in-progress" }),
      ]),
    );
    expect(kit.busQueue.queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    kit.busQueue.advance(MAX_DELAY_MS);
    const replay = await kit.busQueue.deliverBatch(kit.handlers.bus);
    expect(replay.verdicts.map((v) => v.verdict)).toEqual([settled("CANCELLED", true)]);
    expect(kit.procureCore.effects.count(id)).toBe(1);
  });

  it("a later message of a batch with too little invocation time left is put back untouched, at once", async () => {
    // Prepare: two messages, an invocation with 2 s left (less than one upstream attempt and the writes).
    const first = kit.newIntent("SUBMITTED");
    const second = kit.newIntent("SUBMITTED");
    kit.busQueue.put(
      eventBridgeEvent({ target: { type: "intent", id: first } }),
      eventBridgeEvent({ target: { type: "intent", id: second } }),
    );

    // Act
    const delivery = await kit.busQueue.deliverBatch(kit.handlers.bus, {
      context: lambdaContext({ remainingMs: 2_000 }),
    });

    // Assess: the first starts (it has the whole invocation); the second is put back, visible at once.
    expect(delivery.verdicts.map((v) => v.verdict)).toEqual([
      settled("CANCELLED"),
      expect.objectContaining({ kind: "later", why: "no-time" }),
    ]);
    expect(delivery.result).toEqual({ ok: true, value: { batchItemFailures: [] } });
    expect(kit.procureCore.effects.count(second)).toBe(0);
    expect(kit.busQueue.queue.counts()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect((await kit.busQueue.deliverBatch(kit.handlers.bus)).verdicts.map((v) => v.verdict)).toEqual([
      settled("CANCELLED"),
    ]);
    expect(kit.procureCore.effects.count(second)).toBe(1);
  });

  it("a batch reports only its failed messages; the others are deleted", async () => {
    // Prepare: an intent (succeeds), a charge while A55 fails (fails), an invalid event (rejected).
    const intentId = kit.newIntent("SUBMITTED");
    const chargeUuid = kit.newCharge("pending");
    kit.a55.faults.update({ errorRate: 1 });
    const [okId, failingId, invalidId] = kit.busQueue.put(
      eventBridgeEvent({ target: { type: "intent", id: intentId } }),
      eventBridgeEvent({ target: { type: "charge", chargeUuid, walletUuid: A55_DEMO_WALLET } }),
      eventBridgeEvent({ target: { type: "intent" } }),
    );

    // Act
    const delivery = await kit.busQueue.deliverBatch(kit.handlers.bus);

    // Assess
    expect(delivery.records.map((r) => r.messageId)).toEqual([okId, failingId, invalidId]);
    expect(delivery.result).toEqual({
      ok: true,
      value: { batchItemFailures: [{ itemIdentifier: failingId }] },
    });
    expect(delivery.verdicts.map((v) => [v.messageId, v.verdict.kind])).toEqual([
      [okId, "settled"],
      [failingId, "failed"],
      [invalidId, "settled"],
    ]);
    expect(delivery.settlement).toEqual({ deleted: 2, failed: 1, wholeBatchFailed: false });
    expect(kit.busQueue.queue.counts()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
  });

  it("invocations running at once in one process keep their own batches and answers", async () => {
    // Prepare: two batches, each one charge that fails (A55 down) and one intent that succeeds.
    kit.a55.faults.update({ errorRate: 1 });
    kit.procureCore.faults.update({ latencyMs: 300 });
    const put = () =>
      kit.busQueue.put(
        eventBridgeEvent({
          target: { type: "charge", chargeUuid: kit.newCharge("pending"), walletUuid: A55_DEMO_WALLET },
        }),
        eventBridgeEvent({ target: { type: "intent", id: kit.newIntent("SUBMITTED") } }),
      );
    const first = put();
    const firstBatch = kit.busQueue.deliverBatch(kit.handlers.bus, { maxMessages: 2 });
    const second = put();

    // Act
    const [a, b] = await Promise.all([
      firstBatch,
      kit.busQueue.deliverBatch(kit.handlers.bus, { maxMessages: 2 }),
    ]);

    // Assess: each answer names its own failed charge, and only it.
    expect(a.records.map((r) => r.messageId)).toEqual(first);
    expect(b.records.map((r) => r.messageId)).toEqual(second);
    expect(a.result).toEqual({ ok: true, value: { batchItemFailures: [{ itemIdentifier: first[0] }] } });
    expect(b.result).toEqual({ ok: true, value: { batchItemFailures: [{ itemIdentifier: second[0] }] } });
    expect(kit.busQueue.queue.counts()).toEqual({ visible: 0, inFlight: 2, delayed: 0 });
  });

  it("when the copy cannot be put back, the rate-limited message fails instead, so it is not lost", async () => {
    // Prepare: A55 rate-limits; SQS refuses the copy.
    const chargeUuid = kit.newCharge("pending");
    kit.a55.faults.update({ rateLimitRate: 1, retryAfterSeconds: 12 });
    const working = getBusWiring();
    setBusWiring({
      ...working,
      redelivery: {
        sendLater: async () => {
          throw new RedeliveryError("Could not put the request back on the queue: RequestThrottled");
        },
      },
    });
    try {
      // Act
      const delivery = await kit.deliverBus(
        eventBridgeEvent({ target: { type: "charge", chargeUuid, walletUuid: A55_DEMO_WALLET } }),
        lambdaContext({ remainingMs: 10_000 }),
      );

      // Assess: the original stays in flight and returns after its visibility timeout.
      expect(delivery.result).toMatchObject({ ok: false, error: { name: "FullBatchFailureError" } });
      expect(kit.busQueue.queue.counts()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    } finally {
      setBusWiring(working);
    }
  });
});

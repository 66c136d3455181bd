import { randomUUID } from "node:crypto";
import type { EventBridgeEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { MAX_REASON_LENGTH } from "#adapters/events/cancel-requested-schema.ts";
import { scopeKeys } from "#core/identifiers.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import type { BusDelivery } from "#test/support/bus-queue.ts";
import { withOutputCaptured } from "#test/support/capture-output.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { eventBridgeEvent } from "#test/support/lambda-events.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";

const settled = (outcome: string, replayed = false) => ({ kind: "settled", outcome, replayed });
const VISIBILITY_MS = FUNCTIONS.CancelRequested.trigger.visibilityTimeoutSeconds * 1000;

/** A DynamoDB error as the SDK throws it (matched by name, as dynamo-errors.ts does). */
const dynamoError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

/** The partition key of a bus request's idempotency key, as it appears in a JSON request to DynamoDB. */
const keyItemOf = (key: string): string =>
  JSON.stringify(`IDEMPOTENCY#${scopeKeys.bus(eventBridgeEvent({}).source, key)}`).slice(1, -1);

/**
 * The bus door against hostile or unprocessable messages (issue 18, "Deliver 4"): what
 * must fit is checked before any write, a failure that can never succeed is rejected for
 * good and audited like a malformed event, every failure is logged with the message id and
 * its cause, and a message that keeps failing reaches the dead-letter queue with its error.
 */
describe("cancel-requested handler: hostile and unprocessable messages", () => {
  let kit: HandlerKit;
  /** Each request DynamoDB gets is shown to this first; it may throw instead. */
  let poison: (input: Record<string, unknown>) => void = () => {};
  let logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "bus-hostile",
      dynamoEndpoint: inject("dynamoEndpoint"),
      logLevel: "INFO",
    });
    kit.dynamo.middlewareStack.add(
      (next) => async (args) => {
        poison(args.input as Record<string, unknown>);
        return next(args);
      },
      { step: "initialize", name: "poison" },
    );
  });
  afterEach(() => {
    poison = () => {};
    kit.a55.faults.reset();
    kit.busQueue.queue.purge();
    kit.busQueue.deadLetters.purge();
  });
  afterAll(async () => {
    await kit?.close();
  });

  /** Runs `act` with the handlers' log lines captured (parsed) instead of printed. */
  const quietly = async <T>(act: () => Promise<T>): Promise<T> => {
    const { result, lines } = await withOutputCaptured(act);
    logs = lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return result;
  };
  const deliver = (event: EventBridgeEvent<"Cancel Requested", unknown>): Promise<BusDelivery> =>
    quietly(() => kit.deliverBus(event));
  const upstreamCalls = () => kit.procureCore.requests.count() + kit.a55.seen().length;
  const queueIsEmpty = () =>
    expect(kit.busQueue.queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

  describe("reasons are checked on the bus as at the HTTP doors", () => {
    const targets = () => ({
      intent: { type: "intent", id: kit.newIntent("SUBMITTED") },
      charge: { type: "charge", chargeUuid: kit.newCharge("pending"), walletUuid: A55_DEMO_WALLET },
      order: {
        type: "order",
        orderId: `order-${randomUUID().slice(0, 8)}`,
        intentId: kit.newIntent("SUBMITTED"),
      },
    });
    const reasons: [string, string][] = [
      ["ESC", "ok\u001b[2J\u001b[Hcleared"],
      ["BEL", "ring\u0007"],
      ["NUL", "nul\u0000"],
      ["CR/LF (a forged line)", "fine\r\noutcome.outcome CANCELLED"],
      ["TAB", "a\tb"],
      ["DEL", "x\u007f"],
      ["C1 CSI", "csi\u009b2J"],
      ["U+2028", "line\u2028separator"],
      ["a lone surrogate", "half \ud83d"],
      ["one character above the cap", "é".repeat(MAX_REASON_LENGTH + 1)],
    ];
    const cases = (["intent", "charge", "order"] as const).flatMap((door) =>
      reasons.map(([name, reason]) => [door, name, reason] as const),
    );

    it.each(cases)(
      "%s event with a reason holding %s: rejected for good, nothing sent",
      async (door, _n, reason) => {
        const event = eventBridgeEvent({ target: targets()[door], reason });
        const sent = upstreamCalls();

        const delivery = await deliver(event);

        expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("REJECTED")]);
        expect(delivery.result).toEqual({ ok: true, value: { batchItemFailures: [] } });
        expect(await kit.audit({ type: "event", id: event.id })).toEqual([
          expect.objectContaining({ outcome: "REJECTED", detail: expect.stringMatching(/^reason: must /) }),
        ]);
        expect(upstreamCalls()).toBe(sent);
        queueIsEmpty();
      },
    );
  });

  describe("what must fit is checked before any write", () => {
    it.each([
      ["a 3,000-character event id", { id: "e".repeat(3_000) }, '"id" is longer than 128 characters'],
      ["an event id with a line break", { id: "evt-1\nforged" }, '"id" holds control characters'],
      ["a 3,000-character source", { source: "s".repeat(3_000) }, '"source" is longer than 256 characters'],
    ])(
      "%s: rejected once under its message id, never retried nor dead-lettered",
      async (_name, envelope, why) => {
        const intentId = kit.newIntent("SUBMITTED");
        const event = eventBridgeEvent({ target: { type: "intent", id: intentId } }, envelope);

        const delivery = await deliver(event);
        const messageId = delivery.records[0]?.messageId ?? "";

        expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("REJECTED")]);
        expect(delivery.result).toEqual({ ok: true, value: { batchItemFailures: [] } });
        queueIsEmpty();
        expect(kit.busQueue.deadLetters.messages()).toEqual([]);
        expect(await kit.audit({ type: "event", id: messageId })).toEqual([
          expect.objectContaining({
            outcome: "REJECTED",
            actor: "sqs",
            detail: expect.stringContaining(why),
          }),
        ]);
        expect(kit.procureCore.effects.count(intentId)).toBe(0);
      },
    );
  });

  describe("a failure that can never succeed is rejected for good", () => {
    it("DynamoDB refuses a write as invalid (ValidationException): one REJECTED record, logged with its cause", async () => {
      // Prepare: DynamoDB refuses the request's idempotency key as too large (as it does above 2,048 bytes).
      const key = `poison-${randomUUID()}`;
      poison = (input) => {
        if (JSON.stringify(input).includes(keyItemOf(key))) {
          throw dynamoError(
            "ValidationException",
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes",
          );
        }
      };
      const intentId = kit.newIntent("SUBMITTED");
      const event = eventBridgeEvent({ target: { type: "intent", id: intentId }, idempotencyKey: key });

      // Act
      const delivery = await deliver(event);

      // Assess: settled, not failed: the message is deleted and never comes back.
      const messageId = delivery.records[0]?.messageId ?? "";
      expect(delivery.verdicts.map((v) => v.verdict)).toEqual([settled("REJECTED")]);
      expect(delivery.result).toEqual({ ok: true, value: { batchItemFailures: [] } });
      queueIsEmpty();
      expect(await kit.audit({ type: "event", id: messageId })).toEqual([
        expect.objectContaining({
          outcome: "REJECTED",
          detail: expect.stringContaining("StoreRefusedError: DynamoDB"),
        }),
      ]);
      expect(kit.procureCore.effects.count(intentId)).toBe(0);
      const failure = logs.find(
        (log) => log.message === "bus message failed for good; it is rejected, not retried",
      );
      expect(failure).toMatchObject({
        level: "ERROR",
        messageId,
        eventId: event.id,
        error: { name: "StoreRefusedError", cause: { name: "ValidationException" } },
      });
    });
  });

  describe("a failure that may pass is logged every time, and dead-lettered with its error", () => {
    it("a store that keeps failing: each receive logged with message id and cause; the last one dead-letters it with the error, which cancelctl dlq list shows", async () => {
      // Prepare: DynamoDB fails every request about this event's key (an outage, as far as it can tell).
      const key = `outage-${randomUUID()}`;
      poison = (input) => {
        if (JSON.stringify(input).includes(keyItemOf(key))) {
          throw dynamoError("InternalServerError", "Internal server error");
        }
      };
      const event = eventBridgeEvent({
        target: { type: "intent", id: kit.newIntent("SUBMITTED") },
        idempotencyKey: key,
      });
      kit.busQueue.put(event);

      // Act: every receive, as the event source mapping makes them.
      const failures: Record<string, unknown>[] = [];
      const results: unknown[] = [];
      for (let i = 0; i < FUNCTIONS.CancelRequested.trigger.maxReceiveCount; i++) {
        const delivery = await quietly(() => kit.busQueue.deliverBatch(kit.handlers.bus));
        results.push(delivery.result.ok ? "deleted" : "failed");
        failures.push(
          ...logs.filter((log) => log.message === "bus message failed; the queue delivers it again"),
        );
        kit.busQueue.advance(VISIBILITY_MS);
      }

      // Assess: four batch failures, then the message moved with its error on the fifth receive.
      expect(results).toEqual(["failed", "failed", "failed", "failed", "deleted"]);
      expect(failures.map((log) => [log.level, log.receiveCount, log.eventId])).toEqual(
        [1, 2, 3, 4, 5].map((n) => ["ERROR", n, event.id]),
      );
      for (const log of failures) {
        expect(log).toMatchObject({
          messageId: expect.any(String),
          error: { name: "StoreUnavailableError", cause: { name: "InternalServerError" } },
        });
      }
      queueIsEmpty();
      const [dead, ...others] = kit.busQueue.deadLetters.messages();
      expect(others).toEqual([]);
      expect(JSON.parse(dead?.body ?? "{}")).toEqual(event);

      const listed = await dlqList();
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.out).queues[0].messages).toEqual([
        expect.objectContaining({
          summary: `Cancel Requested: intent ${(event.detail as { target: { id: string } }).target.id}, key ${key}`,
          error:
            "StoreUnavailableError: DynamoDB PutItem on the idempotency store failed (InternalServerError)",
        }),
      ]);
    });
  });

  /** `cancelctl dlq list --json` on the kit's dead-letter queue, through the local SQS endpoint. */
  const dlqList = async () => {
    let out = "";
    let err = "";
    const code = await runCli(
      [
        "dlq",
        "list",
        "--queue-url",
        kit.busQueue.deadLetters.url,
        "--redrive-to",
        kit.busQueue.queue.url,
        "--endpoint",
        kit.busQueue.env.SQS_ENDPOINT ?? "",
        "--json",
      ],
      { CANCEL_LOCAL_DIR: "/nonexistent", AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" },
      { out: (text) => (out += `${text}\n`), err: (text) => (err += text), errIsTty: false },
    );
    return { code, out, err };
  };
});

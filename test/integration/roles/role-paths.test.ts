/**
 * Each function's resumed and failure paths, run through its exported handler under its
 * role (the function manifest's statements, enforced on DynamoDB Local and the local queue
 * and bus by test/support/role-guard.ts): a call its code makes that its role does not grant
 * fails here as AccessDenied, as it would on AWS. Every handler test runs under the same
 * guard (the handler kit); these are the paths a happy-path test does not reach.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { FUNCTION_LIST, FUNCTIONS } from "#manifest/function-manifest.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { eventBridgeEvent, lambdaContext, scheduledEvent } from "#test/support/lambda-events.ts";
import { startOutboxHarness } from "#test/support/outbox-harness.ts";
import { takeRefusals, takeUsedGrants } from "#test/support/role-guard.ts";

const DAY_MS = 86_400_000;

describe("each function's resumed and failure paths, under its manifest role", () => {
  let kit: HandlerKit;
  /** Upstream paths whose requests fail before reaching the upstream (a connection reset). */
  const unreachable = new Set<string>();

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "role-paths",
      dynamoEndpoint: inject("dynamoEndpoint"),
      processingCancelDelayMs: 100,
      env: { UPSTREAM_MAX_ATTEMPTS: "1", CONTINUATION_FIRST_CHECK: "100ms" },
      bulkPacing: { recheckMs: 0 },
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if ([...unreachable].some((path) => url.pathname.startsWith(path))) {
          throw new TypeError("fetch failed", { cause: new Error("ECONNRESET (the test cut the line)") });
        }
        return fetch(input, init);
      },
    });
  });
  afterAll(async () => {
    await kit?.close();
  });

  /** Which permissions of the manifest the paths of this file used, by function. */
  const used = new Map<string, Set<string>>();
  afterEach(() => {
    unreachable.clear();
    // Nothing any path did was refused (a refusal is also a failing assertion where it surfaces).
    expect(takeRefusals()).toEqual([]);
    for (const { functionName, grant } of takeUsedGrants()) {
      const key = `${grant.action} on ${JSON.stringify(grant.resource)}`;
      used.set(functionName, (used.get(functionName) ?? new Set()).add(key));
    }
  });

  const intentPath = (id: string) => `/api/v1/intents/${id}/cancel`;
  const chargePath = (chargeUuid: string) =>
    `/api/v1/bank/wallet/charge/${chargeUuid}/cancel/${A55_DEMO_WALLET}/`;
  const sweep = () => kit.handlers.sweep(scheduledEvent(), lambdaContext({ remainingMs: 120_000 }));
  const continueOpen = () => kit.handlers.continuation({}, lambdaContext({ remainingMs: 30_000 }));

  describe("HttpApi", () => {
    it("a cancel whose first attempt failed is retried under its key: the resumed key reads and closes its cancellation", async () => {
      // Prepare
      const intentId = kit.newIntent("SUBMITTED");
      const key = randomUUID();
      const cancel = () =>
        kit.http(
          kit.signed({ method: "POST", path: intentPath(intentId), headers: { "idempotency-key": key } }),
        );
      unreachable.add(intentPath(intentId));
      const failed = await cancel();
      unreachable.clear();

      // Act
      const retried = await cancel();
      const replayed = await cancel();

      // Assess
      expect([failed.statusCode, retried.statusCode, replayed.statusCode]).toEqual([503, 200, 200]);
      expect(replayed.headers["idempotent-replayed"]).toBe("true");
      expect(kit.procureCore.effects.count(intentId)).toBe(1);
    });

    it("an order waiting on an asynchronous intent cancel, and every read: order status, trail, day's report, open cancellations", async () => {
      // Prepare
      const orderId = `order-${randomUUID().slice(0, 8)}`;
      const accepted = await kit.http(
        kit.signed({
          method: "POST",
          path: `/api/v1/orders/${orderId}/cancel`,
          body: JSON.stringify({ intentId: kit.newIntent("PROCESSING") }),
          headers: { "idempotency-key": randomUUID() },
        }),
      );
      const get = (path: string) => kit.http(kit.signed({ method: "GET", path }));

      // Act
      const reads = await Promise.all([
        get(`/api/v1/orders/${orderId}/cancellation`),
        get(`/api/v1/cancellations/order/${orderId}`),
        get(`/api/v1/reports/daily/${new Date().toISOString().slice(0, 10)}`),
        get("/api/v1/cancellations"),
      ]);

      // Assess
      expect(accepted.statusCode).toBe(202);
      expect(reads.map((read) => read.statusCode)).toEqual([200, 200, 200, 200]);
    });
  });

  describe("CancelRequested", () => {
    it("a rate-limited request is put back on its own queue (SendMessage) and converges", async () => {
      // Prepare: A55 answers 429 once.
      const chargeUuid = kit.newCharge("pending");
      const event = eventBridgeEvent({ target: { type: "charge", chargeUuid, walletUuid: A55_DEMO_WALLET } });
      kit.a55.faults.update({ rateLimitBurst: 1, retryAfterSeconds: 1 });

      // Act
      const first = await kit.deliverBus(event);
      // SQS's longest delay: whatever delay the copy was sent with has passed for the queue.
      kit.busQueue.advance(900_000);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const second = await kit.busQueue.deliverBatch(kit.handlers.bus, { maxMessages: 1 });

      // Assess
      expect(first.verdicts.map((v) => v.verdict.kind)).toEqual(["later"]);
      expect(kit.busQueue.deadLetters.counts().visible).toBe(0);
      expect(second.verdicts.map((v) => v.verdict)).toEqual([
        { kind: "settled", outcome: "CANCELLED", replayed: false },
      ]);
      expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    });

    it("a message whose cancel failed returns after its visibility timeout and resumes its key", async () => {
      // Prepare
      const intentId = kit.newIntent("SUBMITTED");
      unreachable.add(intentPath(intentId));
      const failed = await kit.deliverBus(eventBridgeEvent({ target: { type: "intent", id: intentId } }));
      unreachable.clear();

      // Act
      kit.busQueue.advance(FUNCTIONS.CancelRequested.trigger.visibilityTimeoutSeconds * 1000);
      const redelivered = await kit.busQueue.deliverBatch(kit.handlers.bus, { maxMessages: 1 });

      // Assess
      expect(failed.verdicts.map((v) => v.verdict)).toEqual([
        expect.objectContaining({ kind: "failed", problem: "unavailable" }),
      ]);
      expect(failed.settlement).toEqual({ deleted: 0, failed: 1, wholeBatchFailed: true });
      expect(redelivered.verdicts.map((v) => v.verdict)).toEqual([
        { kind: "settled", outcome: "CANCELLED", replayed: false },
      ]);
      expect(kit.procureCore.intents.get(intentId)?.status).toBe("CANCELLED");
    });

    it("a message failing on its last receive is dead-lettered by the function, with its error (SendMessage on its failures queue)", async () => {
      // Prepare: the intent's Procure-Core path is cut for every receive.
      const intentId = kit.newIntent("SUBMITTED");
      unreachable.add(intentPath(intentId));
      kit.busQueue.put(eventBridgeEvent({ target: { type: "intent", id: intentId } }));

      // Act
      const { maxReceiveCount, visibilityTimeoutSeconds } = FUNCTIONS.CancelRequested.trigger;
      for (let receive = 1; receive <= maxReceiveCount; receive++) {
        await kit.busQueue.deliverBatch(kit.handlers.bus, { maxMessages: 1 });
        kit.busQueue.advance(visibilityTimeoutSeconds * 1000);
      }

      // Assess
      const [dead, ...others] = kit.busQueue.deadLetters.messages();
      expect(others).toEqual([]);
      expect(dead?.attributes.ERROR_CODE).toEqual({ DataType: "String", StringValue: "RetryLaterError" });
      kit.busQueue.deadLetters.purge();
    });
  });

  describe("ExpirySweep", () => {
    it("a key a failed run released is taken again by the next run, which reads its cancellation first (GetItem) and finishes it", async () => {
      // Prepare: an expired intent whose cancel cannot reach Procure-Core in the first run.
      const intentId = kit.newIntent("SUBMITTED", {
        createdAt: Date.now() - 2 * DAY_MS,
        prefix: "intent_role",
      });
      unreachable.add(intentPath(intentId));
      const first = (await sweep()) as { failed: number };
      expect(first.failed).toBe(1);
      expect(kit.procureCore.intents.get(intentId)?.status).toBe("SUBMITTED");
      unreachable.clear();

      // Act: the next run lists it again and resumes its released `sweep:<id>` key.
      const second = (await sweep()) as { cancelled: number; failed: number };

      // Assess
      expect(second).toMatchObject({ cancelled: 1, failed: 0 });
      expect(kit.procureCore.intents.get(intentId)?.status).toBe("CANCELLED");
      expect((await kit.audit({ type: "intent", id: intentId })).map((r) => [r.trigger, r.outcome])).toEqual([
        ["schedule", "CANCELLED"],
        ["schedule", "FAILED"],
      ]);
    });
  });

  describe("Continuation", () => {
    it("takes over a single cancel whose attempt never completed: reads its cancellation (GetItem) and completes its key", async () => {
      // Prepare: an HTTP intent cancel took its key (as its begin does) and died before completing it.
      const intentId = kit.newIntent("SUBMITTED");
      const now = Date.now();
      const begun = await kit.container.deps.idempotency.begin({
        scopeKey: `http:${kit.app.appId}:role-paths:${randomUUID()}`,
        payload: { intentId, reason: null },
        now,
        lockUntil: now + 200,
        recovery: {
          cancel: { kind: "intent", intentId },
          requestedBy: { trigger: "http", actor: kit.app.appId, correlationId: randomUUID() },
          recoverAt: now + 200,
        },
      });
      expect(begun.kind).toBe("acquired");
      await new Promise((resolve) => setTimeout(resolve, 300));

      // Act
      await continueOpen();

      // Assess
      expect(kit.procureCore.effects.count(intentId)).toBe(1);
      expect(await kit.audit({ type: "intent", id: intentId })).toEqual([
        expect.objectContaining({ outcome: "CANCELLED", via: "continuation", trigger: "http" }),
      ]);
    });

    it("finishes an order's intent step, retries its failed charge step on a later run, and counts what is open", async () => {
      // Prepare: an order waiting on a PROCESSING intent, whose charge A55 cannot be reached for at first.
      const orderId = `order-${randomUUID().slice(0, 8)}`;
      const chargeUuid = kit.newCharge("pending");
      const accepted = await kit.http(
        kit.signed({
          method: "POST",
          path: `/api/v1/orders/${orderId}/cancel`,
          body: JSON.stringify({
            intentId: kit.newIntent("PROCESSING"),
            charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
          }),
          headers: { "idempotency-key": randomUUID() },
        }),
      );
      expect(accepted.statusCode).toBe(202);
      unreachable.add(chargePath(chargeUuid));

      // Act: runs until the order is final (the charge step fails while A55 is unreachable).
      const states: string[] = [];
      for (let run = 0; run < 40 && states.at(-1) !== "DONE"; run++) {
        if (run === 6) unreachable.clear();
        await new Promise((resolve) => setTimeout(resolve, 150));
        await continueOpen();
        const status = await kit.http(
          kit.signed({ method: "GET", path: `/api/v1/orders/${orderId}/cancellation` }),
        );
        states.push((status.body as { state: string }).state);
      }

      // Assess
      expect(states).toContain("CHARGE_DUE");
      expect(states.at(-1)).toBe("DONE");
      expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    });
  });

  describe("a bulk job (HttpApi, Continuation, CancelRequested)", () => {
    it("submitted (manifest chunks: BatchWriteItem), fanned out by the continuation (manifest: Query; items: SendMessage to the work queue), run by the bus function, finished by the continuation's transition, read back (Query)", async () => {
      // Prepare: one intent that cancels at once, one whose cancel is asynchronous.
      const [now, later] = [kit.newIntent("SUBMITTED"), kit.newIntent("PROCESSING")];
      const submitted = await kit.http(
        kit.signed({
          method: "POST",
          path: "/api/v1/bulk-cancellations",
          body: `type,id\nintent,${now}\nintent,${later}\n`,
          headers: { "content-type": "text/csv", "idempotency-key": randomUUID() },
        }),
      );
      expect(submitted.statusCode).toBe(202);
      const self = (submitted.body as { links: { self: string } }).links.self;

      // Act: the continuation fans the items out; the bus function runs them; the continuation
      // finishes the asynchronous one (and its item) and then the job.
      await continueOpen();
      while (kit.busQueue.queue.counts().visible > 0) await kit.busQueue.deliverBatch(kit.handlers.bus);
      let state = "";
      for (let run = 0; run < 40 && state !== "DONE"; run++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await continueOpen();
        state = ((await kit.http(kit.signed({ method: "GET", path: self }))).body as { state: string }).state;
      }
      const items = await kit.http(kit.signed({ method: "GET", path: `${self}/items` }));

      // Assess
      expect(state).toBe("DONE");
      expect((items.body as { items: { outcome: string }[] }).items.map((item) => item.outcome)).toEqual([
        "CANCELLED",
        "CANCELLED",
      ]);
    });
  });

  describe("OutboxRelay", () => {
    it("publishes every outcome the paths above committed, retrying a call the bus failed, on its own bus only", async () => {
      // Prepare: the bus fails the relay's first PutEvents call (after the role guard judged it).
      const outbox = await startOutboxHarness({
        dynamoEndpoint: inject("dynamoEndpoint"),
        auditTable: kit.tables.auditTable,
      });
      let failures = 1;
      outbox.eventBridge.middlewareStack.add(
        (next) => async (args) => {
          if (failures-- > 0)
            throw Object.assign(new Error("the bus failed (the test)"), { name: "InternalException" });
          return next(args);
        },
        { step: "initialize", priority: "low", name: "failFirstPutEvents" },
      );
      try {
        // Act
        await outbox.waitForPublished(() => kit.announced(), 20_000);

        // Assess
        expect(outbox.invocations().total).toBeGreaterThan(0);
        expect(outbox.bus.published().every((stored) => stored.eventBusName === "cancellation-test")).toBe(
          true,
        );
      } finally {
        await outbox.stop();
      }
    });
  });

  it("used every permission each function's code is granted (secrets aside: these runs read them from a file)", () => {
    const unused = FUNCTION_LIST.flatMap((fn) =>
      fn.permissions
        .filter((permission) => permission.resource.kind !== "secret")
        .flatMap((permission) =>
          permission.actions.map((action) => `${action} on ${JSON.stringify(permission.resource)}`),
        )
        .filter((grant) => !used.get(fn.name)?.has(grant))
        .map((grant) => `${fn.name}: ${grant}`),
    );
    expect(unused).toEqual([]);
  });
});

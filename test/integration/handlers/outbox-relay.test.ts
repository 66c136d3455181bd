/**
 * The exported outbox relay handler end to end: real cancels commit their audit records on
 * DynamoDB Local, the local event source mapping reads the audit table's stream and invokes
 * the relay, whose EventBridge client publishes to the local bus. No cancel path publishes.
 */
import type { DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { AuditRecord } from "#core/ports.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { writeAuditRecords } from "#test/support/audit-day.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";
import { type OutboxHarness, startOutboxHarness } from "#test/support/outbox-harness.ts";

describe("outbox-relay handler", () => {
  let kit: HandlerKit;
  let outbox: OutboxHarness | undefined;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "outbox-relay", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterEach(async () => {
    await outbox?.stop();
    outbox = undefined;
  });
  afterAll(async () => {
    await kit?.close();
  });

  const cancelIntent = (intentId: string, key: string) =>
    kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/intents/${intentId}/cancel`,
        body: JSON.stringify({ reason: "outbox test" }),
        headers: { "idempotency-key": key },
      }),
    );
  const cancelCharge = (chargeUuid: string) =>
    kit.http(
      kit.bearer({
        method: "POST",
        path: `/api/v1/bank/wallet/charge/${chargeUuid}/cancel/${A55_DEMO_WALLET}/`,
        body: JSON.stringify({ reason: "outbox test" }),
      }),
    );

  it("publishes every committed outcome's event once, as announced, with its stable id; nothing on the cancel path", async () => {
    // Prepare: cancels committed while no relay runs publish nothing.
    const intent = kit.newIntent("SUBMITTED");
    const settled = kit.newCharge("settled");
    const first = await cancelIntent(intent, "outbox-1");
    const replay = await cancelIntent(intent, "outbox-1");
    await cancelCharge(settled);
    await cancelIntent("intent_missing_outbox", "outbox-2");
    const announced = await kit.announced();

    // Act
    outbox = await startOutboxHarness({
      dynamoEndpoint: inject("dynamoEndpoint"),
      auditTable: kit.tables.auditTable,
    });
    const beforeRelay = outbox.published().length;
    await outbox.waitForPublished(() => kit.announced(), 20_000);
    await outbox.source.waitUntilIdle();

    // Assess
    expect([first.statusCode, replay.headers["idempotent-replayed"]]).toEqual([200, "true"]);
    expect(beforeRelay).toBe(0);
    expect(announced.map((e) => [e.detailType, e.detail.target.id])).toEqual([
      ["Cancellation Succeeded", intent],
      ["Refund Required", settled],
      ["Cancellation Rejected", "intent_missing_outbox"],
    ]);
    const published = outbox.published().map(({ event }) => event);
    expect(published.map((e) => ({ detailType: e["detail-type"], detail: e.detail }))).toEqual(
      announced.map((e) => ({ detailType: e.detailType, detail: e.detail })),
    );
    expect(published.every((e) => e.source === "cancellation-service")).toBe(true);
    expect(published.map((e) => e.time)).toEqual(announced.map((e) => e.detail.at.replace(/\.\d{3}Z$/, "Z")));
    expect(outbox.bus.published().every((stored) => stored.eventBusName === "cancellation-test")).toBe(true);
    expect(outbox.failureQueue.messages()).toEqual([]);
  });

  it("publishes a batch too large for one PutEvents call in several, and a record too large for any call shortened, on a bus that refuses what EventBridge refuses (failed before: refused until parked)", async () => {
    // Prepare: announcing records written as no cancel path writes them any more (outside text
    // is capped at 4,096 characters): ten 40 KB events, then one of 300 KB.
    const at = new Date().toISOString();
    const record = (n: number, detail: string): AuditRecord => ({
      id: `01JLIMITS${String(Date.now()).slice(-8)}${String(n).padStart(9, "0")}`,
      at,
      target: { type: "intent", id: `intent_limits_${n}` },
      trigger: "http",
      actor: "storefront",
      outcome: "NOT_CANCELLABLE",
      detail,
      latencyMs: 1,
      correlationId: `corr-limits-${n}`,
      event: "Cancellation Rejected",
    });
    const large = Array.from({ length: 10 }, (_, n) => record(n, "x".repeat(40 * 1024)));
    const huge = record(10, "y".repeat(300 * 1024));
    await writeAuditRecords(kit.dynamo, kit.tables.auditTable, [...large, huge]);

    // Act
    outbox = await startOutboxHarness({
      dynamoEndpoint: inject("dynamoEndpoint"),
      auditTable: kit.tables.auditTable,
    });
    await outbox.waitForPublished(() => kit.announced(), 20_000);

    // Assess
    const byId = new Map(
      outbox.published().map(({ event }) => [(event.detail as { eventId: string }).eventId, event]),
    );
    const detailOf = (id: string) =>
      byId.get(id)?.detail as { detail?: string; shortened?: unknown } | undefined;
    for (const one of large) expect(detailOf(one.id)?.detail).toBe(one.detail);
    const shortened = detailOf(huge.id) ?? {};
    expect(shortened.shortened).toEqual({ originalBytes: expect.any(Number), fields: ["detail"] });
    expect(shortened.detail?.endsWith(`…[truncated, ${300 * 1024} chars]`)).toBe(true);
    expect(outbox.failureQueue.messages()).toEqual([]);
  });

  it("reports the record the bus kept refusing, and every one after it, as batch item failures; publishes them once the bus is back", async () => {
    // Prepare: three outcomes committed and published; their stream records read back as the relay receives them.
    outbox = await startOutboxHarness({
      dynamoEndpoint: inject("dynamoEndpoint"),
      auditTable: kit.tables.auditTable,
    });
    await outbox.source.waitUntilIdle();
    await outbox.stop();
    outbox = undefined;
    const intents = [kit.newIntent("SUBMITTED"), kit.newIntent("SUBMITTED"), kit.newIntent("SUBMITTED")];
    for (const [i, id] of intents.entries()) await cancelIntent(id, `outbox-batch-${i}`);
    const capture = await startOutboxHarness({
      dynamoEndpoint: inject("dynamoEndpoint"),
      auditTable: kit.tables.auditTable,
    });
    outbox = capture;
    await capture.waitForPublished(() => kit.announced(), 20_000);
    const wanted = new Set(
      (await kit.announced())
        .filter((e) => intents.includes(e.detail.target.id))
        .map((e) => e.detail.eventId),
    );
    // The same records again, straight into the handler: the stream's own delivery is done.
    const { handler } = await import("#handlers/outbox-relay.ts");
    const relay = handler as unknown as (event: DynamoDBStreamEvent, context: unknown) => Promise<unknown>;
    const event = await streamEventOf(kit, wanted);
    expect(event.Records).toHaveLength(3);
    const [firstRecord, secondRecord, thirdRecord] = event.Records;
    const idOf = (record: typeof firstRecord) =>
      (JSON.parse(record?.dynamodb?.NewImage?.record?.S ?? "{}") as { id: string }).id;
    const before = capture.published().length;
    // The bus refuses the second record's entry of every PutEvents call (the others are
    // accepted): the entry is taken out of the request and answered with an ErrorCode.
    type Entry = { Detail: string };
    type Answer = { FailedEntryCount?: number; Entries?: Record<string, unknown>[] };
    const refusal = { ErrorCode: "InternalFailure", ErrorMessage: "refused by the test" };
    capture.eventBridge.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Entries: Entry[] };
        const refusedAt = input.Entries.findIndex((entry) => entry.Detail.includes(idOf(secondRecord)));
        if (refusedAt === -1) return next(args);
        const rest = input.Entries.filter((_, index) => index !== refusedAt);
        const result =
          rest.length > 0
            ? await next({ ...args, input: { ...input, Entries: rest } })
            : { output: { $metadata: {}, FailedEntryCount: 0, Entries: [] }, response: {} };
        const output = result.output as Answer;
        const entries = [...(output.Entries ?? [])];
        entries.splice(refusedAt, 0, refusal);
        output.Entries = entries;
        output.FailedEntryCount = (output.FailedEntryCount ?? 0) + 1;
        return result as Awaited<ReturnType<typeof next>>;
      },
      { step: "initialize", name: "refuseSecond" },
    );

    // Act
    const refused = await relay(event, lambdaContext({ remainingMs: 2_000 }));
    const afterRefusal = capture.published().length;
    capture.eventBridge.middlewareStack.remove("refuseSecond");
    const retried = await relay(
      { Records: [secondRecord, thirdRecord] as typeof event.Records },
      lambdaContext(),
    );

    // Assess: the three distinct targets went in one call; the first and third were accepted.
    expect(refused).toEqual({
      batchItemFailures: [
        { itemIdentifier: secondRecord?.dynamodb?.SequenceNumber },
        { itemIdentifier: thirdRecord?.dynamodb?.SequenceNumber },
      ],
    });
    expect(retried).toEqual({ batchItemFailures: [] });
    const ids = (from: number, to?: number) =>
      capture
        .published()
        .slice(from, to)
        .map(({ event: e }) => (e.detail as { eventId: string }).eventId);
    expect(ids(before, afterRefusal)).toEqual([idOf(firstRecord), idOf(thirdRecord)]);
    // Delivered again from the first failure: the second, and the third a second time (same id).
    expect(ids(afterRefusal)).toEqual([idOf(secondRecord), idOf(thirdRecord)]);
  });

  it("a whole batch the bus refuses is reported, not thrown (a throw is kept for crashes, which bisect)", async () => {
    // Prepare
    outbox = await startOutboxHarness({
      dynamoEndpoint: inject("dynamoEndpoint"),
      auditTable: kit.tables.auditTable,
    });
    await outbox.waitForPublished(() => kit.announced(), 20_000);
    const all = new Set((await kit.announced()).map((e) => e.detail.eventId));
    const event = await streamEventOf(kit, all);
    outbox.bus.faults.update({ down: true });
    const { handler } = await import("#handlers/outbox-relay.ts");
    const relay = handler as unknown as (event: DynamoDBStreamEvent, context: unknown) => Promise<unknown>;

    // Act
    const response = (await relay(event, lambdaContext({ remainingMs: 1_000 }))) as {
      batchItemFailures: { itemIdentifier: string }[];
    };

    // Assess
    outbox.bus.faults.update({ down: false });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      event.Records.map((r) => r.dynamodb?.SequenceNumber),
    );
  });

  it("stops trying a quarter of the invocation (at most 10 s) before its end", async () => {
    // Imported here: the handler module creates its logger when loaded, after the kit set the log level.
    const { relayDeadlineOf } = await import("#handlers/outbox-relay.ts");
    const now = 1_000_000;
    expect(relayDeadlineOf({ getRemainingTimeInMillis: () => 60_000 }, now)).toBe(now + 50_000);
    expect(relayDeadlineOf({ getRemainingTimeInMillis: () => 8_000 }, now)).toBe(now + 6_000);
  });
});

/** The stream records (as Lambda delivers them) of the announcing audit records `eventIds`, read from the stream. */
const streamEventOf = async (kit: HandlerKit, eventIds: Set<string>): Promise<DynamoDBStreamEvent> => {
  const { DynamoStreamSource } = await import("#local/stack/dynamo-stream-source.ts");
  const { DynamoDBStreamsClient } = await import("@aws-sdk/client-dynamodb-streams");
  const { DescribeTableCommand } = await import("@aws-sdk/client-dynamodb");
  const { Table } = await kit.dynamo.send(new DescribeTableCommand({ TableName: kit.tables.auditTable }));
  const client = new DynamoDBStreamsClient({
    endpoint: inject("dynamoEndpoint"),
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const records: DynamoDBStreamEvent["Records"] = [];
  const reader = new DynamoStreamSource({
    client,
    streamArn: Table?.LatestStreamArn ?? "",
    pollIntervalMs: 20,
    invoke: async (event) => {
      for (const record of event.Records) {
        const id = (JSON.parse(record.dynamodb?.NewImage?.record?.S ?? "{}") as { id?: string }).id;
        if (id !== undefined && eventIds.has(id)) records.push(record);
      }
    },
  });
  reader.start();
  try {
    await reader.waitUntilIdle();
  } finally {
    await reader.stop();
    client.destroy();
  }
  return { Records: records };
};

import type { DynamoDBRecord } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { readAuditStreamRecord } from "#adapters/outbox/audit-stream-record.ts";
import {
  HeldBackByEarlierFailureError,
  OutboxPublishTimeoutError,
  UnreadableOutboxRecordError,
} from "#adapters/outbox/outbox-errors.ts";
import { OutboxRelay } from "#adapters/outbox/outbox-relay.ts";
import type { AuditRecord, OutcomeEvent } from "#core/ports.ts";
import { FakeEventPublisher } from "#test/support/fake-event-publisher.ts";
import { FakeClock } from "#test/support/in-memory-ports.ts";

const AT = "2026-11-23T09:59:59.000Z";

const audit = (n: number, overrides: Partial<AuditRecord> = {}): AuditRecord => ({
  id: `01JTESTRECORD${String(n).padStart(13, "0")}`,
  at: AT,
  target: { type: "intent", id: `intent_${n}` },
  trigger: "http",
  actor: "storefront_app",
  reason: "customer asked",
  outcome: "CANCELLED",
  latencyMs: 12,
  idempotencyKey: `key-${n}`,
  correlationId: `corr-${n}`,
  event: "Cancellation Succeeded",
  ...overrides,
});

/** A stream record as Lambda delivers it for the audit item of `record`. */
const insert = (record: AuditRecord, sequence: number): DynamoDBRecord => ({
  eventID: `e${sequence}`,
  eventName: "INSERT",
  eventVersion: "1.1",
  eventSource: "aws:dynamodb",
  awsRegion: "us-east-1",
  dynamodb: {
    ApproximateCreationDateTime: 1_795_000_000,
    Keys: { pk: { S: `TARGET#intent#${record.target.id}` }, sk: { S: `${record.at}#${record.id}` } },
    NewImage: {
      pk: { S: `TARGET#intent#${record.target.id}` },
      sk: { S: `${record.at}#${record.id}` },
      at: { S: record.at },
      outcome: { S: record.outcome },
      record: { S: JSON.stringify(record) },
    },
    SequenceNumber: String(sequence).padStart(21, "0"),
    SizeBytes: 300,
    StreamViewType: "NEW_IMAGE",
  },
  eventSourceARN: "arn:aws:dynamodb:us-east-1:000000000000:table/audit/stream/x",
});

describe("readAuditStreamRecord", () => {
  it("reads the audit record of an INSERT back exactly", () => {
    const record = audit(1, { state: "INTENT_PENDING", orderId: "order-1", outcome: "PENDING" });
    expect(readAuditStreamRecord(insert(record, 1))).toEqual({
      kind: "audit-record",
      record,
      sequenceNumber: "000000000000000000001",
    });
  });

  it("ignores a MODIFY or REMOVE (audit records are append-only)", () => {
    const modify = { ...insert(audit(1), 7), eventName: "MODIFY" as const };
    expect(readAuditStreamRecord(modify)).toEqual({
      kind: "not-an-insert",
      sequenceNumber: "000000000000000000007",
    });
  });

  it.each([
    ["no image", (r: DynamoDBRecord) => ({ ...r, dynamodb: { ...r.dynamodb, NewImage: undefined } })],
    [
      "no record attribute",
      (r: DynamoDBRecord) => ({ ...r, dynamodb: { ...r.dynamodb, NewImage: { pk: { S: "x" } } } }),
    ],
    [
      "a record that is not JSON",
      (r: DynamoDBRecord) => ({ ...r, dynamodb: { ...r.dynamodb, NewImage: { record: { S: "{oops" } } } }),
    ],
    [
      "JSON that is not an audit record",
      (r: DynamoDBRecord) => ({ ...r, dynamodb: { ...r.dynamodb, NewImage: { record: { S: '{"id":1}' } } } }),
    ],
  ])("refuses an INSERT with %s, naming its sequence number", (_, spoil) => {
    const attempt = () => readAuditStreamRecord(spoil(insert(audit(1), 9)));
    expect(attempt).toThrow(UnreadableOutboxRecordError);
    expect(attempt).toThrow(/000000000000000000009/);
  });
});

describe("OutboxRelay", () => {
  let clock: FakeClock;
  let publisher: FakeEventPublisher;
  let sleeps: number[];
  let published: { event: OutcomeEvent; lagMs: number }[];
  let failures: number[];

  const relay = () =>
    new OutboxRelay({
      publisher,
      clock,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
      onPublished: (event, lagMs) => published.push({ event, lagMs }),
      onPublishFailure: ({ attempt }) => failures.push(attempt),
    });

  beforeEach(() => {
    clock = new FakeClock(Date.parse("2026-11-23T10:00:00.000Z"));
    publisher = new FakeEventPublisher();
    sleeps = [];
    published = [];
    failures = [];
  });

  it("publishes the event an announcing record carries, with its record id as eventId, and its lag", async () => {
    // Act
    const result = await relay().relay(insert(audit(1), 1), clock.now() + 10_000);

    // Assess
    expect(result).toEqual({ kind: "published", eventId: audit(1).id, attempts: 1, lagMs: 1_000 });
    expect(publisher.events).toEqual([
      {
        detailType: "Cancellation Succeeded",
        detail: {
          eventId: audit(1).id,
          target: { type: "intent", id: "intent_1" },
          outcome: "CANCELLED",
          trigger: "http",
          reason: "customer asked",
          idempotencyKey: "key-1",
          correlationId: "corr-1",
          at: AT,
        },
      },
    ]);
    expect(published.map((p) => p.lagMs)).toEqual([1_000]);
  });

  it("publishes nothing for a record that announces nothing, or a change that is not an INSERT", async () => {
    const r = relay();
    const deadline = clock.now() + 10_000;

    expect(await r.relay(insert(audit(1, { event: undefined }), 1), deadline)).toEqual({
      kind: "announces-nothing",
    });
    expect(await r.relay({ ...insert(audit(2), 2), eventName: "REMOVE" }, deadline)).toEqual({
      kind: "not-an-insert",
    });
    expect(publisher.calls).toBe(0);
  });

  it("keeps trying a refusing bus with growing, jittered waits, and succeeds when it comes back", async () => {
    // Prepare: three refusals.
    for (let i = 0; i < 3; i += 1) publisher.failNext(new Error("bus down"));

    // Act
    const result = await relay().relay(insert(audit(1), 1), clock.now() + 60_000);

    // Assess: half of 250, 500, 1000 ms (random 0.5).
    expect(result).toMatchObject({ kind: "published", attempts: 4 });
    expect(sleeps).toEqual([125, 250, 500]);
    expect(failures).toEqual([1, 2, 3]);
    expect(publisher.events).toHaveLength(1);
  });

  it("gives up at the deadline with an error naming the record, so the stream delivers it again", async () => {
    // Prepare
    for (let i = 0; i < 100; i += 1) publisher.failNext(new Error("bus down"));

    // Act
    const attempt = relay().relay(insert(audit(1), 4), clock.now() + 3_000);

    // Assess: waits 125+250+500+1000 = 1875 ms; the next (1000 ms more... capped by deadline) would pass 3 s.
    await expect(attempt).rejects.toThrow(OutboxPublishTimeoutError);
    await expect(attempt).rejects.toThrow(/000000000000000000004/);
    expect(sleeps).toEqual([125, 250, 500, 1000]);
    expect(publisher.events).toEqual([]);
  });

  it("in a batch, holds back every record after one that failed, untried", async () => {
    // Prepare: record 2 cannot be published before the deadline.
    const handle = relay().batchHandler(clock.now() + 1_000);
    const records = [1, 2, 3, 4].map((n) => insert(audit(n), n));

    // Act
    const first = await handle(records[0] as DynamoDBRecord);
    for (let i = 0; i < 100; i += 1) publisher.failNext(new Error("bus down"));
    const rest: string[] = [];
    for (const record of records.slice(1)) {
      // One after the other, as the batch processor calls it.
      rest.push(
        await handle(record).then(
          () => "ok",
          (error: Error) => error.name,
        ),
      );
    }

    // Assess
    expect(first).toMatchObject({ kind: "published" });
    expect(rest).toEqual([
      OutboxPublishTimeoutError.name,
      HeldBackByEarlierFailureError.name,
      HeldBackByEarlierFailureError.name,
    ]);
    expect(publisher.events.map((e) => e.detail.eventId)).toEqual([audit(1).id]);
  });
});

import type { DynamoDBRecord } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { outcomeEntry } from "#adapters/events/event-bridge-publisher.ts";
import { EventPublishError } from "#adapters/events/event-errors.ts";
import {
  fitsOnePutEventsCall,
  PUT_EVENTS_LIMIT_BYTES,
  putEventsEntrySize,
} from "#adapters/events/put-events-limits.ts";
import { readAuditStreamRecord } from "#adapters/outbox/audit-stream-record.ts";
import {
  HeldBackByEarlierFailureError,
  OutboxPublishTimeoutError,
  UnreadableOutboxRecordError,
} from "#adapters/outbox/outbox-errors.ts";
import { OutboxRelay } from "#adapters/outbox/outbox-relay.ts";
import { SHORTENED_TEXT_CHARS } from "#adapters/outbox/shortened-event.ts";
import { outcomeEventOf } from "#core/outcome-events.ts";
import type { AnnouncedEvent, AuditRecord, EventPublisher, OutcomeEvent } from "#core/ports.ts";
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

const entrySize = (event: AnnouncedEvent): number => putEventsEntrySize(outcomeEntry(event, "bus"));

/**
 * A bus stand-in: records each PutEvents call's event ids; `refuse` picks, per call, the
 * events it refuses (as the publisher reports them after its own retries). A call over
 * PutEvents' limits is refused whole, as EventBridge does (a ValidationException).
 */
class RecordingPublisher implements EventPublisher {
  readonly calls: string[][] = [];
  readonly sent: AnnouncedEvent[][] = [];
  refuse: (eventId: string, call: number) => boolean = () => false;

  async publish(events: AnnouncedEvent[]): Promise<void> {
    const ids = events.map((event) => event.detail.eventId);
    this.calls.push(ids);
    this.sent.push(events);
    if (!fitsOnePutEventsCall(events.map(entrySize))) {
      throw new EventPublishError(
        events.map((event) => ({
          eventId: event.detail.eventId,
          detailType: event.detailType,
          errorCode: "ValidationException",
        })),
        1,
      );
    }
    const refused = events.filter((event) => this.refuse(event.detail.eventId, this.calls.length));
    if (refused.length > 0) {
      throw new EventPublishError(
        refused.map((event) => ({
          eventId: event.detail.eventId,
          detailType: event.detailType,
          errorCode: "ThrottlingException",
        })),
        3,
      );
    }
  }
}

describe("OutboxRelay", () => {
  let clock: FakeClock;
  let publisher: RecordingPublisher;
  let sleeps: number[];
  let published: { event: AnnouncedEvent; lagMs: number }[];
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
  const idOf = (n: number) => audit(n).id;
  /** Calls the batch handler for each record in turn, as the batch processor does. */
  const runBatch = async (records: DynamoDBRecord[], deadline: number): Promise<string[]> => {
    const handle = relay().batchHandler(records, deadline);
    const results: string[] = [];
    for (const record of records) {
      results.push(
        await handle(record).then(
          (result) => result.kind,
          (error: Error) => error.name,
        ),
      );
    }
    return results;
  };

  beforeEach(() => {
    clock = new FakeClock(Date.parse("2026-11-23T10:00:00.000Z"));
    publisher = new RecordingPublisher();
    sleeps = [];
    published = [];
    failures = [];
  });

  it("publishes the event an announcing record carries, with its record id as eventId, and its lag", async () => {
    // Act
    const fake = new FakeEventPublisher();
    const result = await new OutboxRelay({ publisher: fake, clock }).relay(
      insert(audit(1), 1),
      clock.now() + 10_000,
    );

    // Assess
    expect(result).toEqual({ kind: "published", eventId: audit(1).id, attempts: 1, lagMs: 1_000 });
    expect(fake.events).toEqual([
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
  });

  it("publishes nothing for a record that announces nothing, or a change that is not an INSERT", async () => {
    const records = [
      insert(audit(1, { event: undefined }), 1),
      { ...insert(audit(2), 2), eventName: "REMOVE" as const },
    ];

    expect(await runBatch(records, clock.now() + 10_000)).toEqual(["announces-nothing", "not-an-insert"]);
    expect(publisher.calls).toEqual([]);
  });

  it("sends up to 10 consecutive events per call, never two of one target in one call", async () => {
    // Prepare: 13 records; records 3 and 4 announce for the same target; record 6 announces nothing.
    const records = Array.from({ length: 13 }, (_, i) => {
      const n = i + 1;
      return insert(
        audit(n, {
          target: { type: "intent", id: n === 4 ? "intent_3" : `intent_${n}` },
          ...(n === 6 ? { event: undefined } : {}),
        }),
        n,
      );
    });

    // Act
    const results = await runBatch(records, clock.now() + 10_000);

    // Assess
    expect(publisher.calls).toEqual([[1, 2, 3].map(idOf), [4, 5, 7, 8, 9, 10, 11, 12, 13].map(idOf)]);
    expect(results.filter((kind) => kind === "published")).toHaveLength(12);
    expect(published.map((p) => p.event.detail.eventId)).toEqual(
      [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13].map(idOf),
    );
    expect(published.every((p) => p.lagMs === 1_000)).toBe(true);

    // And at most 10 in one call.
    publisher.calls.length = 0;
    await runBatch(
      Array.from({ length: 12 }, (_, i) => insert(audit(100 + i), 100 + i)),
      clock.now() + 10_000,
    );
    expect(publisher.calls.map((call) => call.length)).toEqual([10, 2]);
  });

  it("sends again only what the bus refused, with growing, jittered waits, until it is accepted", async () => {
    // Prepare: the bus refuses record 2's event on the first three calls.
    publisher.refuse = (eventId, call) => eventId === idOf(2) && call <= 3;
    const records = [1, 2, 3].map((n) => insert(audit(n), n));

    // Act
    const results = await runBatch(records, clock.now() + 60_000);

    // Assess: half of 250, 500, 1000 ms (random 0.5).
    expect(results).toEqual(["published", "published", "published"]);
    expect(publisher.calls).toEqual([[1, 2, 3].map(idOf), [idOf(2)], [idOf(2)], [idOf(2)]]);
    expect(sleeps).toEqual([125, 250, 500]);
    expect(failures).toEqual([1, 2, 3]);
  });

  it("gives up at the deadline with an error naming the record, so the stream delivers it again", async () => {
    // Prepare
    publisher.refuse = () => true;

    // Act
    const attempt = relay().relay(insert(audit(1), 4), clock.now() + 3_000);

    // Assess: waits 125 + 250 + 500 + 1000 ms; the next wait (up to 2 s more) would pass 3 s.
    await expect(attempt).rejects.toThrow(OutboxPublishTimeoutError);
    await expect(attempt).rejects.toThrow(/000000000000000000004/);
    expect(sleeps).toEqual([125, 250, 500, 1000]);
  });

  it("in a batch, fails every record after one the bus kept refusing, even one already on the bus, and sends no more", async () => {
    // Prepare: record 2 is always refused; record 4 is for record 1's target, so it needs a call of its own.
    publisher.refuse = (eventId) => eventId === idOf(2);
    const records = [
      insert(audit(1), 1),
      insert(audit(2), 2),
      insert(audit(3), 3),
      insert(audit(4, { target: { type: "intent", id: "intent_1" } }), 4),
    ];

    // Act
    const results = await runBatch(records, clock.now() + 1_000);

    // Assess: 3 reached the bus with 1 and 2; it is reported failed too and comes again (a duplicate).
    expect(results).toEqual([
      "published",
      OutboxPublishTimeoutError.name,
      HeldBackByEarlierFailureError.name,
      HeldBackByEarlierFailureError.name,
    ]);
    expect(publisher.calls.flat()).not.toContain(idOf(4));
    expect(publisher.calls[0]).toEqual([1, 2, 3].map(idOf));
  });

  it("an unreadable record fails on its own turn, after the records before it were published", async () => {
    const bad = { ...insert(audit(2), 2), dynamodb: { ...insert(audit(2), 2).dynamodb, NewImage: {} } };
    const results = await runBatch([insert(audit(1), 1), bad, insert(audit(3), 3)], clock.now() + 1_000);

    expect(results).toEqual([
      "published",
      UnreadableOutboxRecordError.name,
      HeldBackByEarlierFailureError.name,
    ]);
    expect(publisher.calls).toEqual([[idOf(1)]]);
  });

  /** A record whose event's entry is `bytes` by EventBridge's rule (a long `detail`). */
  const sized = (n: number, bytes: number, overrides: Partial<AuditRecord> = {}): AuditRecord => {
    const record = audit(n, { detail: "", ...overrides });
    const empty = entrySize(eventOf(record));
    return { ...record, detail: "x".repeat(bytes - empty) };
  };
  const eventOf = (record: AuditRecord): OutcomeEvent => outcomeEventOf(record) as OutcomeEvent;

  it("cuts a call by size too: 10 events of 40 KB go as 6 and 4, each call under the limit (failed before: one call, refused whole)", async () => {
    // Prepare
    const records = Array.from({ length: 10 }, (_, i) => insert(sized(i + 1, 40 * 1024), i + 1));

    // Act
    const results = await runBatch(records, clock.now() + 10_000);

    // Assess
    expect(results).toEqual(Array(10).fill("published"));
    expect(publisher.calls.map((call) => call.length)).toEqual([6, 4]);
    for (const call of publisher.sent) {
      expect(call.reduce((total, event) => total + entrySize(event), 0)).toBeLessThan(PUT_EVENTS_LIMIT_BYTES);
    }
    expect(publisher.calls.flat()).toEqual(Array.from({ length: 10 }, (_, i) => idOf(i + 1)));
  });

  it("publishes an event too large for any call shortened, same eventId, and says so; the others go out around it (failed before: refused until the deadline, the batch held)", async () => {
    // Prepare: record 2's event is 300 KB (a long detail, and a reason over the shortened length).
    const shortened: { eventId: string; originalBytes: number }[] = [];
    const huge = sized(2, 300 * 1024, { reason: "r".repeat(5_000) });
    const records = [insert(audit(1), 1), insert(huge, 2), insert(audit(3), 3)];
    const handle = new OutboxRelay({
      publisher,
      clock,
      random: () => 0.5,
      sleep: async (ms) => clock.advance(ms),
      onShortened: ({ event, originalBytes }) =>
        shortened.push({ eventId: event.detail.eventId, originalBytes }),
    }).batchHandler(records, clock.now() + 10_000);

    // Act
    const results = [];
    for (const record of records) results.push((await handle(record)).kind);

    // Assess
    expect(results).toEqual(["published", "published", "published"]);
    expect(publisher.calls).toEqual([[1, 2, 3].map(idOf)]);
    const sent = publisher.sent[0]?.[1] as OutcomeEvent;
    expect(sent.detail.eventId).toBe(huge.id);
    expect(sent.detail.shortened).toEqual({ originalBytes: 300 * 1024, fields: ["reason", "detail"] });
    expect(sent.detail.detail).toHaveLength(SHORTENED_TEXT_CHARS);
    expect(sent.detail.detail?.endsWith(`…[truncated, ${(huge.detail ?? "").length} chars]`)).toBe(true);
    expect(sent.detail.reason?.endsWith("…[truncated, 5000 chars]")).toBe(true);
    expect({ ...sent.detail, reason: huge.reason, detail: huge.detail, shortened: undefined }).toEqual({
      ...eventOf(huge).detail,
      shortened: undefined,
    });
    expect(shortened).toEqual([{ eventId: huge.id, originalBytes: 300 * 1024 }]);
  });

  it("shortens every string when the long texts are not enough (an absurd correlation id), and it still fits", async () => {
    const huge = audit(5, { correlationId: "c".repeat(400_000), detail: "d".repeat(2_000) });

    expect(await runBatch([insert(huge, 5)], clock.now() + 10_000)).toEqual(["published"]);

    const sent = publisher.sent[0]?.[0] as OutcomeEvent;
    expect(entrySize(sent)).toBeLessThan(PUT_EVENTS_LIMIT_BYTES);
    expect(sent.detail.shortened?.fields.sort()).toEqual(["correlationId", "detail"]);
    expect(sent.detail.correlationId.endsWith("…[truncated, 400000 chars]")).toBe(true);
  });
});

import { EventBridgeClient, InternalException, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ENTRY_TOO_LARGE, EventBridgePublisher } from "#adapters/events/event-bridge-publisher.ts";
import { EventPublishError } from "#adapters/events/event-errors.ts";
import {
  PUT_EVENTS_LIMIT_BYTES,
  PUT_EVENTS_TIME_BYTES,
  putEventsEntrySize,
} from "#adapters/events/put-events-limits.ts";
import type { OutcomeDetailType, OutcomeEvent } from "#core/ports.ts";

const client = new EventBridgeClient({
  region: "us-east-1",
  credentials: { accessKeyId: "t", secretAccessKey: "t" },
});
const eb = mockClient(client);

const event = (n: number, detailType: OutcomeDetailType = "Cancellation Succeeded"): OutcomeEvent => ({
  detailType,
  detail: {
    eventId: `01JTESTEVENT${String(n).padStart(14, "0")}`,
    target: { type: "intent", id: `intent_${n}` },
    outcome: "CANCELLED",
    trigger: "bus",
    reason: "customer private note",
    correlationId: `corr-${n}`,
    at: "2025-03-04T10:15:30.123Z",
  },
});

/** Answers each PutEvents call: accepted entries get an EventId, `refuse` picks the refused ones. */
const answer = (refuse: (detail: OutcomeEvent["detail"], call: number) => string | undefined) => {
  let call = 0;
  eb.on(PutEventsCommand).callsFake((input: { Entries: { Detail: string }[] }) => {
    call += 1;
    const entries = input.Entries.map((entry, index) => {
      const code = refuse(JSON.parse(entry.Detail), call);
      return code ? { ErrorCode: code, ErrorMessage: "nope" } : { EventId: `id-${call}-${index}` };
    });
    return { FailedEntryCount: entries.filter((e) => "ErrorCode" in e).length, Entries: entries };
  });
};

const sentBatches = () =>
  eb
    .commandCalls(PutEventsCommand)
    .map((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? "{}")));

describe("EventBridgePublisher", () => {
  let sleeps: number[];
  const publisher = (maxAttempts?: number) =>
    new EventBridgePublisher({
      client,
      eventBusName: "cancellations",
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

  beforeEach(() => {
    eb.reset();
    sleeps = [];
  });

  it("sends 23 events as batches of 10, 10 and 3, each entry fully addressed", async () => {
    // Prepare
    answer(() => undefined);
    const events = Array.from({ length: 23 }, (_, n) => event(n));
    // Act
    await publisher().publish(events);
    // Assess
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(
      sentBatches()
        .flat()
        .map((d) => d.correlationId),
    ).toEqual(events.map((e) => e.detail.correlationId));
    expect(calls[0]?.args[0].input.Entries?.[0]).toEqual({
      EventBusName: "cancellations",
      Source: "cancellation-service",
      DetailType: "Cancellation Succeeded",
      Detail: JSON.stringify(events[0]?.detail),
      Time: new Date("2025-03-04T10:15:30.123Z"),
    });
    expect(sleeps).toEqual([]);
  });

  it("uses the configured source", async () => {
    answer(() => undefined);
    await new EventBridgePublisher({ client, eventBusName: "b", source: "custom.source" }).publish([
      event(1),
    ]);
    expect(eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Source).toBe("custom.source");
  });

  it("sends nothing for no events", async () => {
    answer(() => undefined);
    await publisher().publish([]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("retries only the entries EventBridge refused, with a growing backoff", async () => {
    // Prepare: entries 2 and 7 are throttled on the first call, entry 7 again on the second.
    answer((detail, call) => {
      if (call === 1 && (detail.correlationId === "corr-2" || detail.correlationId === "corr-7"))
        return "ThrottlingException";
      if (call === 2 && detail.correlationId === "corr-7") return "InternalFailure";
      return undefined;
    });
    // Act
    await publisher().publish(Array.from({ length: 10 }, (_, n) => event(n)));
    // Assess
    expect(sentBatches().map((batch) => batch.map((d) => d.correlationId))).toEqual([
      Array.from({ length: 10 }, (_, n) => `corr-${n}`),
      ["corr-2", "corr-7"],
      ["corr-7"],
    ]);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? Number.POSITIVE_INFINITY);
  });

  it("throws EventPublishError with the failed event ids, detail types and codes, never the payload", async () => {
    // Prepare: one entry of the second batch is always refused.
    answer((detail) => (detail.correlationId === "corr-12" ? "InternalFailure" : undefined));
    const events = Array.from({ length: 15 }, (_, n) => event(n, n === 12 ? "Refund Required" : undefined));
    // Act
    const error = await publisher()
      .publish(events)
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(EventPublishError);
    const publishError = error as EventPublishError;
    expect(publishError.failed).toEqual([
      { eventId: event(12).detail.eventId, detailType: "Refund Required", errorCode: "InternalFailure" },
    ]);
    expect(publishError.attempts).toBe(3);
    expect(publishError.message).toBe("1 outcome event(s) not published after 3 attempt(s): InternalFailure");
    expect(JSON.stringify(publishError) + publishError.message).not.toContain("customer private note");
    // 1 call for batch one; 3 for batch two (all 5, then the refused one twice).
    expect(sentBatches().map((b) => b.length)).toEqual([10, 5, 1, 1]);
  });

  it("honours maxAttempts", async () => {
    answer(() => "InternalFailure");
    await expect(publisher(1).publish([event(1)])).rejects.toBeInstanceOf(EventPublishError);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("treats an answer entry without an EventId as refused", async () => {
    let call = 0;
    eb.on(PutEventsCommand).callsFake(() => {
      call += 1;
      return call === 1
        ? { FailedEntryCount: 0, Entries: [] }
        : { FailedEntryCount: 0, Entries: [{ EventId: "e" }] };
    });
    await publisher().publish([event(1)]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it("wraps a PutEvents call that throws (already retried by the SDK) and still sends the other batches", async () => {
    // Prepare
    const outage = new InternalException({ $metadata: {}, message: "boom" });
    let call = 0;
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => {
      call += 1;
      if (call === 1) throw outage;
      return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })) };
    });
    // Act
    const error = await publisher()
      .publish(Array.from({ length: 12 }, (_, n) => event(n)))
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as EventPublishError).failed).toHaveLength(10);
    expect((error as EventPublishError).failed[0]).toEqual({
      eventId: event(0).detail.eventId,
      detailType: "Cancellation Succeeded",
      errorCode: "InternalException",
    });
    expect((error as Error).cause).toBe(outage);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  /** An event whose entry is exactly `bytes` by EventBridge's rule (its detail padded with a long detail text). */
  const eventOfSize = (n: number, bytes: number): OutcomeEvent => {
    const base = event(n);
    const empty = publisher().entrySize({ ...base, detail: { ...base.detail, detail: "" } });
    return { ...base, detail: { ...base.detail, detail: "x".repeat(bytes - empty) } };
  };
  const callSizes = () =>
    eb
      .commandCalls(PutEventsCommand)
      .map((c) => (c.args[0].input.Entries ?? []).reduce((total, e) => total + putEventsEntrySize(e), 0));

  it("cuts calls by size too: 10 events of 40 KB go as 6 and 4, each call under the limit (failed before: one call of 10, 400 KB)", async () => {
    // Prepare
    answer(() => undefined);
    const events = Array.from({ length: 10 }, (_, n) => eventOfSize(n, 40 * 1024));

    // Act
    await publisher().publish(events);

    // Assess
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([6, 4]);
    expect(callSizes().every((size) => size < PUT_EVENTS_LIMIT_BYTES)).toBe(true);
    expect(
      sentBatches()
        .flat()
        .map((d) => d.eventId),
    ).toEqual(events.map((e) => e.detail.eventId));
  });

  it("fills a call up to one byte under the limit, and not one byte more", async () => {
    answer(() => undefined);
    const half = PUT_EVENTS_LIMIT_BYTES / 2;

    await publisher().publish([eventOfSize(1, half), eventOfSize(2, half - 1), eventOfSize(3, 1_000)]);
    await publisher().publish([eventOfSize(4, half), eventOfSize(5, half)]);

    expect(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      2, 1, 1, 1,
    ]);
    expect(callSizes().slice(0, 1)).toEqual([PUT_EVENTS_LIMIT_BYTES - 1]);
  });

  it("never sends an event too large for any call: reported EntryTooLarge, the others still go out", async () => {
    // Prepare
    answer(() => undefined);
    const huge = eventOfSize(2, PUT_EVENTS_LIMIT_BYTES);

    // Act
    const error = await publisher()
      .publish([event(1), huge, event(3)])
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as EventPublishError).failed).toEqual([
      { eventId: huge.detail.eventId, detailType: "Cancellation Succeeded", errorCode: ENTRY_TOO_LARGE },
    ]);
    expect(
      sentBatches()
        .flat()
        .map((d) => d.eventId),
    ).toEqual([event(1).detail.eventId, event(3).detail.eventId]);
  });

  it("measures an entry by EventBridge's documented rule: Time 14 bytes, UTF-8 bytes of the rest", () => {
    const detail = JSON.stringify({ note: "café ☕ 🚀" });
    expect(
      putEventsEntrySize({
        Source: "src",
        DetailType: "Thing",
        Detail: detail,
        Time: new Date(),
        Resources: ["arn:a", "é"],
        EventBusName: "a-very-long-bus-name-that-does-not-count",
      }),
    ).toBe(PUT_EVENTS_TIME_BYTES + 3 + 5 + Buffer.byteLength(detail, "utf8") + 5 + 2);
    expect(putEventsEntrySize({ Source: "src", DetailType: "Thing", Detail: "{}" })).toBe(10);
    // "é" is 2 bytes, "☕" 3, "🚀" 4: bytes, not characters.
    expect(Buffer.byteLength(detail, "utf8") - detail.length).toBe(1 + 2 + 2);
  });
});

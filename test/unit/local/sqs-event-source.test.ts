import type { SQSEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalQueue } from "#local/stack/sqs/local-queue.ts";
import { LocalSqs } from "#local/stack/sqs/local-sqs.ts";
import { reportedFailures, SqsEventSource, sqsEventOf } from "#local/stack/sqs/sqs-event-source.ts";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` or fails after `ms`. */
const until = async (done: () => boolean, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(10);
  }
};

describe("sqsEventOf", () => {
  it("builds the SQS event Lambda delivers: records with system and message attributes", async () => {
    const sqs = new LocalSqs({ endpoint: "http://127.0.0.1:9/__aws/sqs" });
    const queue = sqs.create({ name: "q" });
    queue.send({ body: "hello", attributes: { redeliveries: { DataType: "Number", StringValue: "2" } } });

    const messages = await queue.receive({ maxMessages: 10 });
    const event = sqsEventOf(queue, messages);

    expect(event.Records).toEqual([
      {
        messageId: messages[0]?.messageId,
        receiptHandle: messages[0]?.receiptHandle,
        body: "hello",
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: expect.stringMatching(/^\d{13}$/),
          SenderId: expect.any(String),
          ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
        },
        messageAttributes: {
          redeliveries: { dataType: "Number", stringValue: "2", stringListValues: [], binaryListValues: [] },
        },
        md5OfBody: "5d41402abc4b2a76b9719d911017c592",
        md5OfMessageAttributes: messages[0]?.md5OfMessageAttributes,
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q",
        awsRegion: "us-east-1",
      },
    ]);
  });
});

describe("reportedFailures (ReportBatchItemFailures, as AWS documents it)", () => {
  const batch = new Set(["a", "b"]);

  it("reads nothing, {}, null or an empty list as complete success", () => {
    for (const value of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(reportedFailures(value, batch)).toEqual(new Set());
    }
  });

  it("reads the failed message ids", () => {
    expect(reportedFailures({ batchItemFailures: [{ itemIdentifier: "b" }] }, batch)).toEqual(new Set(["b"]));
  });

  it("treats an invalid answer as a failure of the whole batch", () => {
    for (const value of [
      "oops",
      [],
      { batchItemFailures: "b" },
      { batchItemFailures: [{ itemIdentifier: "" }] },
      { batchItemFailures: [{ itemIdentifier: null }] },
      { batchItemFailures: [{ id: "b" }] },
      { batchItemFailures: [{ itemIdentifier: "not-in-the-batch" }] },
    ]) {
      expect(reportedFailures(value, batch), JSON.stringify(value)).toBeUndefined();
    }
  });
});

describe("SqsEventSource", () => {
  let source: SqsEventSource | undefined;
  let sqs: LocalSqs;
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    sqs?.close();
  });

  const work = (visibilityTimeoutSeconds = 30): LocalQueue => {
    sqs = new LocalSqs({ endpoint: "http://127.0.0.1:9/__aws/sqs" });
    return sqs.create({
      name: "work",
      settings: { visibilityTimeoutSeconds },
      deadLetter: { queue: "work-dlq", maxReceiveCount: 2 },
    });
  };

  it("never runs more than maximumConcurrency invocations, nor more than batchSize messages each", async () => {
    // Prepare
    const queue = work();
    for (let i = 0; i < 45; i++) queue.send({ body: `m${i}` });
    let running = 0;
    let peak = 0;
    const sizes: number[] = [];
    let handled = 0;
    source = new SqsEventSource({
      queue,
      settings: { batchSize: 4, maximumConcurrency: 3, maximumBatchingWindowSeconds: 0 },
      invoke: async (event: SQSEvent) => {
        running += 1;
        peak = Math.max(peak, running);
        sizes.push(event.Records.length);
        await sleep(20);
        running -= 1;
        handled += event.Records.length;
        return { batchItemFailures: [] };
      },
    });

    // Act
    source.start();
    await until(() => handled === 45);

    // Assess
    expect(peak).toBe(3);
    expect(Math.max(...sizes)).toBe(4);
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("deletes what the function handled; reported failures and a thrown invocation stay in flight", async () => {
    const queue = work();
    const failing = new Set<string>();
    queue.send({ body: "ok" });
    queue.send({ body: "fails" });
    let calls = 0;
    source = new SqsEventSource({
      queue,
      settings: { batchSize: 10, maximumConcurrency: 1, maximumBatchingWindowSeconds: 0 },
      invoke: async (event: SQSEvent) => {
        calls += 1;
        if (calls > 1) throw new Error("the whole invocation failed");
        const failures = event.Records.filter((r) => r.body === "fails").map((r) => ({
          itemIdentifier: r.messageId,
        }));
        for (const f of failures) failing.add(f.itemIdentifier);
        return { batchItemFailures: failures };
      },
    });

    source.start();
    await until(() => calls >= 1 && queue.counts().visible === 0);
    await sleep(50);
    queue.send({ body: "also fails" });
    await until(() => calls === 2);
    await sleep(50);

    expect(failing.size).toBe(1);
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 2, delayed: 0 });
  });

  it("a message failing on every receive reaches the dead-letter queue after maxReceiveCount", async () => {
    const queue = work(1);
    queue.send({ body: "poison" });
    let receives = 0;
    source = new SqsEventSource({
      queue,
      settings: { batchSize: 10, maximumConcurrency: 2, maximumBatchingWindowSeconds: 0 },
      invoke: async (event: SQSEvent) => {
        receives += event.Records.length;
        return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });

    source.start();
    await until(() => sqs.byName("work-dlq").counts().visible === 1, 8_000);

    expect(receives).toBe(2);
    expect(sqs.byName("work-dlq").messages()[0]).toMatchObject({ body: "poison", receiveCount: 2 });
  });

  it("stops polling at once and waits for the invocation in flight", async () => {
    const queue = work();
    let finished = false;
    source = new SqsEventSource({
      queue,
      settings: { batchSize: 1, maximumConcurrency: 1, maximumBatchingWindowSeconds: 0 },
      invoke: async () => {
        await sleep(100);
        finished = true;
        return {};
      },
    });
    source.start();
    queue.send({ body: "last" });
    await until(() => source?.invocations === 1);

    const startedAt = Date.now();
    await source.stop();

    expect(finished).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});

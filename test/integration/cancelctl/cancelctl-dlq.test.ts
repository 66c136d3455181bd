import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { AuditRecord } from "#core/ports.ts";
import { writeAuditRecords } from "#test/support/audit-day.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import { type SqsDouble, startSqsDouble } from "#test/support/sqs-json-double.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";

/**
 * `cancelctl dlq` end to end: the real CLI and the real SQS client against an SQS double
 * speaking the JSON protocol, the real DynamoDB client against DynamoDB Local (outbox
 * batches), and Lambda's client mocked (where a redrive invokes a function).
 */

const event = (key: string, target: Record<string, unknown> = { type: "intent", id: "intent_1" }) => ({
  version: "0",
  id: `evt-${key}`,
  "detail-type": "Cancel Requested",
  source: "storefront.orders",
  account: "000000000000",
  time: "2026-11-23T10:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: { target, idempotencyKey: key },
});

/** A Lambda answer's payload (the SDK wraps the bytes in a blob adapter; the commands only read the bytes). */
const payload = (text: string) => new TextEncoder().encode(text) as unknown as InvokeCommandOutput["Payload"];

interface Run {
  code: number;
  out: string;
  err: string;
}

describe("cancelctl dlq", () => {
  let sqs: SqsDouble;
  let dir: string;
  let outputs: string;
  let tables: TestTables;
  const dynamo = createLocalDynamoClient(inject("dynamoEndpoint"));
  const lambda = mockClient(LambdaClient);

  beforeAll(async () => {
    sqs = await startSqsDouble();
    dir = await mkdtemp(path.join(tmpdir(), "cancelctl-dlq-"));
    tables = await createTestTables(dynamo, "cancelctl-dlq");
  });
  afterAll(async () => {
    await sqs?.close();
    await rm(dir, { recursive: true, force: true });
    await tables?.drop();
    dynamo.destroy();
    lambda.restore();
  });

  let n = 0;
  /** Fresh queues per test, described in an outputs file as `npm start` or `sst deploy` writes it. */
  let names: { delivery: string; failures: string; work: string; sweep: string; relay: string };
  beforeEach(async () => {
    n += 1;
    names = {
      delivery: `delivery-dlq-${n}`,
      failures: `work-dlq-${n}`,
      work: `work-${n}`,
      sweep: `sweep-dlq-${n}`,
      relay: `relay-failures-${n}`,
    };
    outputs = path.join(dir, `outputs-${n}.json`);
    await writeFile(
      outputs,
      JSON.stringify({
        sqsEndpoint: sqs.url,
        dynamoDbEndpoint: inject("dynamoEndpoint"),
        region: "us-east-1",
        deadLetterQueues: [
          {
            name: "CancelRequestedDlq",
            url: sqs.queueUrl(names.delivery),
            holds: "bus-event",
            redrive: { type: "queue", queueUrl: sqs.queueUrl(names.work) },
          },
          {
            name: "BusWorkDlq",
            url: sqs.queueUrl(names.failures),
            holds: "bus-event",
            redrive: { type: "queue", queueUrl: sqs.queueUrl(names.work) },
          },
          {
            name: "ExpirySweepDlq",
            url: sqs.queueUrl(names.sweep),
            holds: "schedule-input",
            redrive: { type: "function", functionName: "ExpirySweepFunction" },
          },
          {
            name: "OutboxRelayFailures",
            url: sqs.queueUrl(names.relay),
            holds: "stream-batch",
            redrive: {
              type: "stream-batch",
              functionName: "OutboxRelayFunction",
              auditTable: tables.auditTable,
            },
          },
        ],
      }),
    );
  });
  afterEach(() => {
    lambda.reset();
    sqs.clearFaults();
  });

  const run = async (...argv: string[]): Promise<Run> => {
    let out = "";
    let err = "";
    const code = await runCli(
      [...argv, "--outputs", outputs],
      { CANCEL_LOCAL_DIR: "/nonexistent", AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" },
      { out: (text) => (out += `${text}\n`), err: (text) => (err += text), errIsTty: false },
    );
    return { code, out, err };
  };

  describe("list and show", () => {
    it("lists every queue's messages with what they are and their error, and leaves them where they were", async () => {
      // Prepare
      const good = sqs.put(names.delivery, JSON.stringify(event("k-1")), {
        ERROR_CODE: "SDK_CLIENT_ERROR",
        ERROR_MESSAGE: "Lambda was throttled",
      });
      const legacy = sqs.put(
        names.failures,
        JSON.stringify({
          requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 3 },
          requestPayload: event("k-2", {
            type: "charge",
            chargeUuid: "c0ffee00-0000-4000-8000-000000000001",
          }),
          responsePayload: { errorType: "StoreUnavailableError", errorMessage: "DynamoDB is unavailable" },
        }),
      );
      const broken = sqs.put(names.failures, "{not json");

      // Act
      const result = await run("dlq", "list");

      // Assess
      expect(result.code).toBe(0);
      expect(result.out).toContain("CancelRequestedDlq  1 waiting");
      expect(result.out).toMatch(
        new RegExp(
          `${good} .* Cancel Requested: intent intent_1, key k-1 +SDK_CLIENT_ERROR: Lambda was throttled`,
        ),
      );
      expect(result.out).toMatch(
        new RegExp(
          `${legacy} .* Cancel Requested: charge c0ffee00-0000-4000-8000-000000000001, key k-2 +StoreUnavailableError: DynamoDB is unavailable`,
        ),
      );
      expect(result.out).toMatch(new RegExp(`${broken} .* UNREADABLE: the body is not JSON`));
      expect(result.out).toContain("ExpirySweepDlq  empty");
      expect(sqs.visible(names.delivery)).toHaveLength(1);
      expect(sqs.visible(names.failures)).toHaveLength(2);
    });

    it("lists as JSON for scripts", async () => {
      sqs.put(names.sweep, "{}", { ERROR_CODE: "AWS.Lambda.TooManyRequestsException" });

      const result = await run("dlq", "list", "--queue", "ExpirySweepDlq", "--json");

      expect(result.code).toBe(0);
      expect(JSON.parse(result.out)).toMatchObject({
        queues: [
          {
            name: "ExpirySweepDlq",
            holds: "schedule-input",
            waiting: 1,
            messages: [
              {
                summary: "scheduled run, input {}",
                error: "AWS.Lambda.TooManyRequestsException",
                receiveCount: 1,
              },
            ],
          },
        ],
      });
    });

    it("shows one message in full, and leaves it in its queue", async () => {
      const id = sqs.put(names.delivery, JSON.stringify(event("k-show")), {
        ERROR_CODE: "RETRIES_EXHAUSTED",
      });

      const result = await run("dlq", "show", id);

      expect(result.code).toBe(0);
      expect(result.out).toContain(`${id}\n`);
      expect(result.out).toMatch(/queue +CancelRequestedDlq/);
      expect(result.out).toMatch(/redrives to +queue .*work-/);
      expect(result.out).toContain('"idempotencyKey": "k-show"');
      expect(sqs.visible(names.delivery).map((m) => m.id)).toEqual([id]);
    });

    it("exits 2 for an id that is in no queue", async () => {
      const result = await run("dlq", "show", "no-such-message");

      expect(result.code).toBe(2);
      expect(result.err).toContain("no message no-such-message is waiting");
    });
  });

  describe("redrive", () => {
    it("sends every readable bus event back to the work queue, deletes only those, and leaves what does not parse", async () => {
      // Prepare
      sqs.put(names.delivery, JSON.stringify(event("k-a")));
      sqs.put(names.failures, JSON.stringify({ requestPayload: event("k-b"), requestContext: {} }));
      const broken = sqs.put(names.failures, JSON.stringify({ hello: "world" }));

      // Act
      const result = await run("dlq", "redrive", "--all");

      // Assess
      expect(result.code).toBe(1);
      expect(result.out).toMatch(/^INCOMPLETE/);
      expect(result.out).toMatch(/CancelRequestedDlq: 1 redriven, 0 left \(unreadable\), 0 failed/);
      expect(result.out).toMatch(/BusWorkDlq: 1 redriven, 1 left \(unreadable\), 0 failed/);
      expect(result.out).toMatch(
        new RegExp(`${broken} +LEFT IN QUEUE +does not parse: not an EventBridge event`),
      );
      expect(result.err).toContain("redrive BusWorkDlq:");
      expect(sqs.messages(names.work).map((m) => JSON.parse(m.body))).toEqual([event("k-a"), event("k-b")]);
      expect(sqs.messages(names.delivery)).toEqual([]);
      expect(sqs.visible(names.failures).map((m) => m.id)).toEqual([broken]);
    });

    it("deletes nothing whose redrive failed: the message stays in its queue, visible again", async () => {
      // Prepare
      const id = sqs.put(names.delivery, JSON.stringify(event("k-fail")));
      sqs.failNext("SendMessage", 10);
      const callsBefore = sqs.calls.length;

      // Act
      const result = await run("dlq", "redrive", id, "--json");

      // Assess
      expect(result.code).toBe(1);
      expect(JSON.parse(result.out)).toMatchObject({
        outcome: "INCOMPLETE",
        messages: [{ queue: "CancelRequestedDlq", id, fate: "failed" }],
      });
      expect(sqs.calls.slice(callsBefore)).not.toContain("DeleteMessage");
      expect(sqs.visible(names.delivery).map((m) => m.id)).toEqual([id]);
      expect(sqs.messages(names.work)).toEqual([]);
    });

    it("redrives one message by id and leaves the others untouched and visible", async () => {
      const first = sqs.put(names.delivery, JSON.stringify(event("k-1")));
      const second = sqs.put(names.delivery, JSON.stringify(event("k-2")));

      const result = await run("dlq", "redrive", second);

      expect(result.code).toBe(0);
      expect(result.out).toMatch(new RegExp(`${second} +REDRIVEN +sent to work-\\d+ as message`));
      expect(sqs.visible(names.delivery).map((m) => m.id)).toEqual([first]);
      expect(sqs.messages(names.work).map((m) => JSON.parse(m.body).detail.idempotencyKey)).toEqual(["k-2"]);
    });

    it("redrives a scheduled run as an asynchronous invoke of its function, deleting it once accepted", async () => {
      // Prepare
      sqs.put(names.sweep, "{}");
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

      // Act
      const result = await run("dlq", "redrive", "--all", "--queue", "ExpirySweepDlq");

      // Assess
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/REDRIVEN +invoked ExpirySweepFunction asynchronously/);
      const calls = lambda.commandCalls(InvokeCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.args[0].input).toMatchObject({
        FunctionName: "ExpirySweepFunction",
        InvocationType: "Event",
      });
      expect(new TextDecoder().decode(calls[0]?.args[0].input.Payload as Uint8Array)).toBe("{}");
      expect(sqs.messages(names.sweep)).toEqual([]);
    });

    it("leaves a scheduled run in its queue when the invoke is refused", async () => {
      sqs.put(names.sweep, "{}");
      lambda.on(InvokeCommand).rejects(new Error("TooManyRequestsException: Rate exceeded"));

      const result = await run("dlq", "redrive", "--all", "--queue", "ExpirySweepDlq");

      expect(result.code).toBe(1);
      expect(result.out).toMatch(/FAILED +Error: TooManyRequestsException: Rate exceeded/);
      expect(sqs.visible(names.sweep)).toHaveLength(1);
    });

    it("says so when there is nothing to redrive", async () => {
      const result = await run("dlq", "redrive", "--all", "--queue", "CancelRequestedDlq");

      expect(result.code).toBe(0);
      expect(result.out).toContain("Nothing to redrive: CancelRequestedDlq is empty.");
    });

    describe("a failed outbox batch", () => {
      const record = (at: string, id: string, event?: AuditRecord["event"]): AuditRecord => ({
        id,
        at,
        target: { type: "intent", id: `intent_${id}` },
        trigger: "http",
        actor: "storefront",
        outcome: "CANCELLED",
        latencyMs: 5,
        correlationId: `c-${id}`,
        ...(event && { event }),
      });
      const failureRecord = (first: string, last: string) =>
        JSON.stringify({
          requestContext: {
            requestId: "r",
            functionArn: "arn:aws:lambda:us-east-1:0:function:relay",
            condition: "RetryAttemptsExhausted",
          },
          responseContext: { statusCode: 200, functionError: "Unhandled" },
          version: "1.0",
          timestamp: last,
          DDBStreamBatchInfo: {
            shardId: "shardId-1",
            startSequenceNumber: "100",
            endSequenceNumber: "102",
            approximateArrivalOfFirstRecord: first,
            approximateArrivalOfLastRecord: last,
            batchSize: 3,
            streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/audit/stream/2026",
          },
        });

      beforeAll(async () => {
        await writeAuditRecords(dynamo, tables.auditTable, [
          record("2026-11-23T23:50:00.000Z", "01OUTSIDE0000000000000000A", "Cancellation Succeeded"),
          record("2026-11-23T23:58:30.000Z", "01INSIDE00000000000000000A", "Cancellation Succeeded"),
          record("2026-11-23T23:59:59.000Z", "01NOEVENT0000000000000000A"),
          record("2026-11-24T00:00:01.000Z", "01INSIDE00000000000000000B", "Refund Required"),
          record("2026-11-24T00:10:00.000Z", "01OUTSIDE0000000000000000B", "Cancellation Succeeded"),
        ]);
      });

      it("hands the batch's outbox records, read again from the audit table, to the relay; deletes the failure once it published", async () => {
        // Prepare: a batch that arrived around midnight (its window spans two days of the index)
        sqs.put(names.relay, failureRecord("2026-11-24T00:00:01Z", "2026-11-24T00:00:02Z"));
        lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload('{"batchItemFailures":[]}') });

        // Act
        const result = await run("dlq", "redrive", "--all", "--queue", "OutboxRelayFailures");

        // Assess
        expect(result.code).toBe(0);
        expect(result.out).toMatch(
          /REDRIVEN +handed 2 outbox records committed between 2026-11-23T23:55:01.000Z and 2026-11-24T00:00:03.000Z to OutboxRelayFunction/,
        );
        const calls = lambda.commandCalls(InvokeCommand);
        expect(calls).toHaveLength(1);
        expect(calls[0]?.args[0].input).toMatchObject({
          FunctionName: "OutboxRelayFunction",
          InvocationType: "RequestResponse",
        });
        const streamEvent = JSON.parse(
          new TextDecoder().decode(calls[0]?.args[0].input.Payload as Uint8Array),
        ) as {
          Records: {
            eventName: string;
            eventSourceARN: string;
            dynamodb: { NewImage: { record: { S: string } }; StreamViewType: string };
          }[];
        };
        expect(
          streamEvent.Records.map((r) => (JSON.parse(r.dynamodb.NewImage.record.S) as AuditRecord).id),
        ).toEqual(["01INSIDE00000000000000000A", "01INSIDE00000000000000000B"]);
        expect(
          streamEvent.Records.every(
            (r) => r.eventName === "INSERT" && r.dynamodb.StreamViewType === "NEW_IMAGE",
          ),
        ).toBe(true);
        expect(streamEvent.Records[0]?.eventSourceARN).toBe(
          "arn:aws:dynamodb:us-east-1:000000000000:table/audit/stream/2026",
        );
        expect(sqs.messages(names.relay)).toEqual([]);
      });

      it("leaves the failure in its queue when the relay fails again", async () => {
        sqs.put(names.relay, failureRecord("2026-11-24T00:00:01Z", "2026-11-24T00:00:02Z"));
        lambda.on(InvokeCommand).resolves({
          StatusCode: 200,
          FunctionError: "Unhandled",
          Payload: payload('{"errorType":"EventBridgeUnavailable"}'),
        });

        const result = await run("dlq", "redrive", "--all", "--queue", "OutboxRelayFailures");

        expect(result.code).toBe(1);
        expect(result.out).toMatch(/FAILED +OutboxRelayFunction failed after 0 records: Unhandled/);
        expect(sqs.visible(names.relay)).toHaveLength(1);
      });

      it("leaves a failure record it cannot read", async () => {
        const id = sqs.put(names.relay, JSON.stringify({ requestContext: {} }));

        const result = await run("dlq", "redrive", id);

        expect(result.code).toBe(1);
        expect(result.out).toMatch(
          /LEFT IN QUEUE +does not parse: not an on-failure record of a DynamoDB stream batch/,
        );
        expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
        expect(sqs.visible(names.relay).map((m) => m.id)).toEqual([id]);
      });
    });
  });

  describe("usage", () => {
    it("refuses redrive with neither an id nor --all, and an unknown queue", async () => {
      const none = await run("dlq", "redrive");
      const unknown = await run("dlq", "list", "--queue", "Nope");

      expect(none.code).toBe(64);
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain("No dead-letter queue named Nope");
    });
  });
});

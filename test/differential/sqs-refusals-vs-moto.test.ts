/**
 * What the local SQS refuses, against moto_server: the same bad calls on both, errors
 * compared by name, query-compatible code, fault and status (the codes are the SQS model's
 * `awsQueryError` traits, which the SDK ships); per-entry failures of batches compared by
 * code. Sizes are AWS's current ones (1 MiB per message and per batch, attributes included).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  SendMessageBatchCommand,
} from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settle, without, withoutKeys } from "./support/answer-shape.ts";
import { announceSkip, SKIP_REASON, useMotoServer } from "./support/moto-suite.ts";
import { localSqsSide, motoSqsSide, type SqsSide } from "./support/sides.ts";
import { onBoth, receive, send } from "./support/sqs-calls.ts";

const SUITE = "local SQS refusals vs moto_server";
announceSkip(SUITE);

const MIB = 1_048_576;
const error = (name: string, code: string) => ({ error: { name, code, fault: "client", status: 400 } });

describe.skipIf(SKIP_REASON !== undefined)(SUITE, () => {
  const moto = useMotoServer();
  let sides: SqsSide[] = [];
  beforeEach(async () => {
    sides.push(await localSqsSide());
    sides.push(await motoSqsSide(moto().endpoint));
  });
  afterEach(async () => {
    await Promise.all(sides.map((side) => side.close()));
    sides = [];
  });
  const both = (calls: (side: SqsSide) => Promise<unknown>) => onBoth(sides, calls);

  it("a queue that does not exist: QueueDoesNotExist, code AWS.SimpleQueueService.NonExistentQueue", async () => {
    const { local, moto } = await both(async (side) => {
      const gone = `${side.workUrl}-gone`;
      return {
        send: await settle(() => send(side, { QueueUrl: gone })),
        receive: await settle(() => receive(side, { QueueUrl: gone })),
        attributes: await settle(() => side.sqs.send(new GetQueueAttributesCommand({ QueueUrl: gone }))),
        purge: await settle(() => side.sqs.send(new PurgeQueueCommand({ QueueUrl: gone }))),
        url: await settle(() => side.sqs.send(new GetQueueUrlCommand({ QueueName: "gone" }))),
      };
    });
    expect(local).toEqual(moto);
    expect(local).toHaveProperty(
      "send",
      error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"),
    );
  });

  it("a receipt handle that is not one: ReceiptHandleIsInvalid, and per entry in batches", async () => {
    const { local, moto } = await both(async (side) => {
      const bad = { QueueUrl: side.workUrl, ReceiptHandle: "not-a-handle" };
      const entries = [{ Id: "x", ReceiptHandle: "not-a-handle" }];
      return {
        delete: await settle(() => side.sqs.send(new DeleteMessageCommand(bad))),
        hide: await settle(() =>
          side.sqs.send(new ChangeMessageVisibilityCommand({ ...bad, VisibilityTimeout: 0 })),
        ),
        deleteBatch: await settle(() =>
          side.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: side.workUrl, Entries: entries })),
        ),
        hideBatch: await settle(() =>
          side.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: side.workUrl,
              Entries: entries.map((entry) => ({ ...entry, VisibilityTimeout: 0 })),
            }),
          ),
        ),
      };
    });
    // The wording differs ("The input receipt handle is invalid." on moto); names and codes do not.
    expect(withoutKeys(local, "Message")).toEqual(withoutKeys(moto, "Message"));
    expect(local).toHaveProperty("delete", error("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid"));
    expect(local).toHaveProperty("deleteBatch.answer.Failed.0.Code", "ReceiptHandleIsInvalid");
  });

  it("a malformed batch, whole: empty, more than 10 entries, repeated ids, ids SQS does not allow", async () => {
    const { local, moto } = await both(async (side) => {
      const sendBatch = (entries: { Id: string }[]) =>
        settle(() =>
          side.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: side.workUrl,
              Entries: entries.map((entry) => ({ ...entry, MessageBody: "x" })),
            }),
          ),
        );
      const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, ReceiptHandle: `handle-${i}` }));
      return {
        empty: await sendBatch([]),
        eleven: await sendBatch(eleven),
        repeated: await sendBatch([{ Id: "a" }, { Id: "a" }]),
        invalidId: await sendBatch([{ Id: "not allowed!" }]),
        deleteEleven: await settle(() =>
          side.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: side.workUrl, Entries: eleven })),
        ),
        hideEleven: await settle(() =>
          side.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: side.workUrl,
              Entries: eleven.map((entry) => ({ ...entry, VisibilityTimeout: 0 })),
            }),
          ),
        ),
      };
    });
    // The SQS model lists TooManyEntriesInBatchRequest for DeleteMessageBatch and
    // ChangeMessageVisibilityBatch too; moto answers their 11 entries one by one.
    const unchecked = ["deleteEleven", "hideEleven"];
    expect(without(local, ...unchecked)).toEqual(without(moto, ...unchecked));
    expect(local).toMatchObject({
      deleteEleven: error(
        "TooManyEntriesInBatchRequest",
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
      ),
      hideEleven: error(
        "TooManyEntriesInBatchRequest",
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
      ),
      empty: error("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"),
      eleven: error("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
      repeated: error("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
      invalidId: error("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId"),
    });
  });

  it("what is too large: a message over 1 MiB, a batch over 1 MiB in all; exactly 1 MiB is taken", async () => {
    const { local, moto } = await both(async (side) => ({
      exactly: await settle(() => send(side, { MessageBody: "x".repeat(MIB) })),
      over: await settle(() => send(side, { MessageBody: "x".repeat(MIB + 1) })),
      batch: await settle(() =>
        side.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: side.workUrl,
            Entries: ["a", "b"].map((id) => ({ Id: id, MessageBody: id.repeat(600_000) })),
          }),
        ),
      ),
    }));
    expect(local).toEqual(moto);
    expect(local).toMatchObject({
      exactly: { answer: { MD5OfMessageBody: expect.any(String) } },
      over: error("InvalidParameterValue", "InvalidParameterValue"),
      batch: error("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong"),
    });
  });

  it("message attributes count toward the 1 MiB, as AWS documents (moto counts the body only)", async () => {
    const local = sides.find((side) => side.name === "local") as SqsSide;
    const answer = await settle(() =>
      send(local, {
        MessageBody: "x".repeat(MIB - 8),
        MessageAttributes: { redeliveries: { DataType: "Number", StringValue: "1" } },
      }),
    );
    expect(answer).toEqual(error("InvalidParameterValue", "InvalidParameterValue"));
  });

  it("values out of SQS's ranges: InvalidParameterValue", async () => {
    const { local, moto } = await both(async (side) => ({
      delay: await settle(() => send(side, { DelaySeconds: 901 })),
      hide: await settle(() => receive(side, { VisibilityTimeout: 43_201 })),
      many: await settle(() => receive(side, { MaxNumberOfMessages: 11 })),
      wait: await settle(() => receive(side, { WaitTimeSeconds: 21 })),
    }));
    expect(local).toEqual(moto);
    expect(local).toHaveProperty("delay", error("InvalidParameterValue", "InvalidParameterValue"));
  });

  it("an empty receive (after its wait) and a listing that matches nothing carry no list", async () => {
    const { local, moto } = await both(async (side) => ({
      receive: await receive(side, { WaitTimeSeconds: 1 }),
      list: await side.sqs.send(new ListQueuesCommand({ QueueNamePrefix: "nothing-" })),
    }));
    expect(local).toEqual(moto);
    expect(local).toEqual({ receive: {}, list: {} });
  });
});

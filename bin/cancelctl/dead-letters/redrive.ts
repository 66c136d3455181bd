/**
 * Sends one dead letter back through the normal path of what it holds (docs/runbook.md, "The commands"):
 *
 * - a bus event goes where the bus delivers it: to the queue the bus consumer reads (the
 *   bus work queue: the body exactly as EventBridge writes it there), or, where the rule
 *   invokes the function directly, an asynchronous invoke with the event, as the rule makes it;
 * - a scheduled run's input is an asynchronous invoke of its function, as the scheduler makes it;
 * - a failed outbox batch: its records are read again from the audit table (the outbox
 *   itself: they were committed there) and handed to the relay function as the stream hands
 *   them. The on-failure record names the batch only by shard, sequence numbers and arrival
 *   times, and the stream forgets after 24 hours; the table does not, so the records are
 *   found by commit time, over a window that may also hold records of other batches. Those
 *   are published again with their stable event ids, which consumers already de-duplicate.
 *
 * The idempotency key inside a redriven cancel makes it safe: a cancel that in fact went
 * through is replayed, not repeated.
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { AUDIT_DAY_SLICES, auditDayPartitionOf } from "#adapters/dynamo/audit-item.ts";
import { AUDIT_BY_DAY_INDEX } from "#adapters/dynamo/table-definitions.ts";
import type { ReadDeadLetter, StreamBatch } from "./dead-letter-message.ts";
import type { RedriveTarget } from "./queue-catalogue.ts";
import { DeadLetterQueueClient } from "./sqs-dead-letters.ts";

export interface RedriveClients {
  sqs: SQSClient;
  lambda: LambdaClient;
  dynamoDb: DynamoDBClient;
}

export type RedriveResult = { ok: true; did: string } | { ok: false; error: string };

/** How far before a batch's first arrival a record of it may have been timed (`at` precedes the commit). */
export const COMMIT_SLACK_MS = 5 * 60_000;
/** Records handed to the relay per invocation (well under Lambda's 6 MB synchronous payload). */
export const RELAY_CHUNK = 100;

const queueName = (url: string): string => url.split("/").at(-1) ?? url;

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

const invokeAsync = async (
  lambda: LambdaClient,
  functionName: string,
  payload: unknown,
): Promise<RedriveResult> => {
  const answer = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: "Event",
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  return answer.StatusCode === 202
    ? { ok: true, did: `invoked ${functionName} asynchronously` }
    : { ok: false, error: `${functionName} did not accept the invocation (status ${answer.StatusCode})` };
};

/** Every audit item committed in the window (by the byDay index: every slice of each day), oldest first. */
const auditItemsBetween = async (
  dynamoDb: DynamoDBClient,
  table: string,
  from: string,
  to: string,
): Promise<Record<string, AttributeValue>[]> => {
  const items: Record<string, AttributeValue>[] = [];
  const readPartition = async (partition: string): Promise<void> => {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamoDb.send(
        new QueryCommand({
          TableName: table,
          IndexName: AUDIT_BY_DAY_INDEX,
          KeyConditionExpression: "gsi1pk = :day AND gsi1sk BETWEEN :from AND :to",
          ExpressionAttributeValues: {
            ":day": { S: partition },
            ":from": { S: from },
            // Sort keys are `<at>#<id>`: `~` sorts after every id character.
            ":to": { S: `${to}#~` },
          },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  };
  for (let day = from.slice(0, 10); day <= to.slice(0, 10); ) {
    const partitions = AUDIT_DAY_SLICES.map((slice) => auditDayPartitionOf(day, slice) as string);
    await Promise.all(partitions.map(readPartition));
    day = new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
  }
  // The slices merged back into commit order (the sort key is `<at>#<id>`).
  const sortKey = (item: Record<string, AttributeValue>) => item.gsi1sk?.S ?? "";
  return items.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
};

/** True when the item is an outbox item: its record announces an event. */
const announces = (item: Record<string, AttributeValue>): boolean => {
  try {
    return typeof (JSON.parse(item.record?.S ?? "{}") as { event?: unknown }).event === "string";
  } catch {
    return false;
  }
};

/** A DynamoDB stream record for an item, as Lambda delivers it (an INSERT with its new image). */
const streamRecordOf = (item: Record<string, AttributeValue>, batch: StreamBatch, index: number) => {
  const at = Date.parse(item.at?.S ?? batch.firstArrival);
  return {
    eventID: `redrive-${index}`,
    eventName: "INSERT",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: batch.streamArn.split(":")[3] ?? "",
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(at / 1000),
      Keys: { pk: item.pk, sk: item.sk },
      NewImage: item,
      SequenceNumber: String(index),
      SizeBytes: JSON.stringify(item).length,
      StreamViewType: "NEW_IMAGE",
    },
    eventSourceARN: batch.streamArn,
  };
};

const replayStreamBatch = async (
  clients: RedriveClients,
  target: { functionName: string; auditTable: string },
  batch: StreamBatch,
): Promise<RedriveResult> => {
  const from = new Date(Date.parse(batch.firstArrival) - COMMIT_SLACK_MS).toISOString();
  const to = new Date(Date.parse(batch.lastArrival) + 1000).toISOString();
  const items = (await auditItemsBetween(clients.dynamoDb, target.auditTable, from, to)).filter(announces);
  for (let start = 0; start < items.length; start += RELAY_CHUNK) {
    const records = items
      .slice(start, start + RELAY_CHUNK)
      .map((item, i) => streamRecordOf(item, batch, start + i));
    const answer = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: target.functionName,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(JSON.stringify({ Records: records })),
      }),
    );
    const text = answer.Payload === undefined ? "" : new TextDecoder().decode(answer.Payload);
    if (answer.FunctionError !== undefined) {
      return {
        ok: false,
        error: `${target.functionName} failed after ${start} records: ${answer.FunctionError} ${text}`,
      };
    }
    const failures = (() => {
      try {
        return (JSON.parse(text || "{}") as { batchItemFailures?: unknown[] }).batchItemFailures ?? [];
      } catch {
        return [];
      }
    })();
    if (failures.length > 0) {
      return {
        ok: false,
        error: `${target.functionName} reported ${failures.length} records failed (of records ${start}+)`,
      };
    }
  }
  return {
    ok: true,
    did:
      items.length === 0
        ? `no outbox record was committed between ${from} and ${to}: nothing to publish`
        : `handed ${items.length} outbox record${items.length === 1 ? "" : "s"} committed between ${from} and ${to} to ${target.functionName}`,
  };
};

/**
 * Redrives one message that was read successfully. Never throws: a failure is a result, so
 * the caller leaves the message in its queue and goes on.
 */
export const redrive = async (
  clients: RedriveClients,
  target: RedriveTarget,
  read: Extract<ReadDeadLetter, { ok: true }>,
): Promise<RedriveResult> => {
  try {
    if (read.kind === "stream-batch") {
      if (target.type !== "stream-batch") {
        return { ok: false, error: `a stream batch cannot be redriven to a ${target.type}` };
      }
      return await replayStreamBatch(clients, target, read.batch);
    }
    const payload = read.kind === "bus-event" ? read.event : read.input;
    switch (target.type) {
      case "queue": {
        const id = await new DeadLetterQueueClient(clients.sqs).send(
          target.queueUrl,
          JSON.stringify(payload),
        );
        return { ok: true, did: `sent to ${queueName(target.queueUrl)} as message ${id}` };
      }
      case "function":
        return await invokeAsync(clients.lambda, target.functionName, payload);
      case "stream-batch":
        return { ok: false, error: "only a stream batch can be redriven to the relay" };
    }
  } catch (error) {
    return { ok: false, error: errorText(error) };
  }
};

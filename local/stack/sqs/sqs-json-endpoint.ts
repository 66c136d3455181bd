/**
 * The local SQS endpoint: the AWS JSON 1.0 protocol the AWS SDK v3 SQS client speaks
 * (`POST`, `X-Amz-Target: AmazonSQS.<Operation>`, `Content-Type: application/x-amz-json-1.0`),
 * so the bus function's SQS client and `cancelctl` work against the local queues unchanged.
 * Errors carry `__type` and the awsQuery-compatible `x-amzn-query-error` header, so the SDK
 * raises the exception it would against AWS. Signatures are not checked (the credentials
 * are fake anyway).
 *
 * Operations: SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage,
 * DeleteMessageBatch, ChangeMessageVisibility, ChangeMessageVisibilityBatch, GetQueueUrl,
 * GetQueueAttributes, ListQueues, ListDeadLetterSourceQueues, PurgeQueue and
 * StartMessageMoveTask (moves a dead-letter queue's messages back at once, where AWS
 * moves them over time).
 */
import type { LocalQueue } from "./local-queue.ts";
import type { LocalSqs } from "./local-sqs.ts";
import {
  batchEntryIdsNotDistinct,
  batchRequestTooLong,
  emptyBatchRequest,
  invalidBatchEntryId,
  invalidParameter,
  missingParameter,
  SqsError,
  tooManyEntriesInBatchRequest,
  unsupportedOperation,
} from "./sqs-errors.ts";
import type { MessageAttributeValue } from "./sqs-md5.ts";
import type { ReceivedMessage } from "./sqs-messages.ts";
import { LIMITS, messageBytes } from "./sqs-request-limits.ts";

export const SQS_JSON_CONTENT_TYPE = "application/x-amz-json-1.0";
export const SQS_TARGET_PREFIX = "AmazonSQS.";

export interface SqsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type Json = Record<string, unknown>;

/** True when a request's `X-Amz-Target` names an SQS operation. */
export const isSqsRequest = (target: string | undefined): boolean =>
  target?.startsWith(SQS_TARGET_PREFIX) === true;

const ok = (value: unknown): SqsAnswer => ({
  status: 200,
  headers: { "content-type": SQS_JSON_CONTENT_TYPE },
  body: JSON.stringify(value),
});

const failure = (error: SqsError): SqsAnswer => ({
  status: error.status,
  headers: {
    "content-type": SQS_JSON_CONTENT_TYPE,
    "x-amzn-query-error": `${error.queryCode};Sender`,
  },
  body: JSON.stringify({ __type: `com.amazonaws.sqs#${error.code}`, message: error.message }),
});

const text = (request: Json, name: string): string => {
  const value = request[name];
  if (typeof value !== "string" || value === "") throw missingParameter(name);
  return value;
};

const optionalInt = (request: Json, name: string): number | undefined => {
  const value = request[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number") throw invalidParameter(`Value for parameter ${name} is invalid.`);
  return value;
};

const list = (request: Json, name: string): unknown[] => {
  const value = request[name];
  return Array.isArray(value) ? value : [];
};

const attributesOf = (value: unknown): Record<string, MessageAttributeValue> | undefined =>
  value && typeof value === "object" ? (value as Record<string, MessageAttributeValue>) : undefined;

/** Which message attributes a receive asked for: `All`, `.*`, names, or `prefix.*`. */
const pickAttributes = (
  wanted: readonly unknown[],
  attributes: Record<string, MessageAttributeValue>,
): Record<string, MessageAttributeValue> => {
  const patterns = wanted.filter((w): w is string => typeof w === "string");
  const matches = (name: string): boolean =>
    patterns.some(
      (p) => p === "All" || p === ".*" || p === name || (p.endsWith(".*") && name.startsWith(p.slice(0, -1))),
    );
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => matches(name)));
};

const received = (message: ReceivedMessage, request: Json) => {
  const systemNames = [...list(request, "AttributeNames"), ...list(request, "MessageSystemAttributeNames")];
  const all = systemNames.includes("All");
  const system = Object.fromEntries(
    Object.entries(message.systemAttributes).filter(([name]) => all || systemNames.includes(name)),
  );
  const attributes = pickAttributes(list(request, "MessageAttributeNames"), message.attributes);
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
    ...(Object.keys(attributes).length > 0
      ? { MessageAttributes: attributes, MD5OfMessageAttributes: message.md5OfMessageAttributes }
      : {}),
  };
};

const queueAttributes = (
  sqs: LocalSqs,
  queue: LocalQueue,
  wanted: readonly unknown[],
): Record<string, string> => {
  const { settings } = queue;
  const counts = queue.counts();
  const all: Record<string, string> = {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    DelaySeconds: String(settings.delaySeconds),
    ReceiveMessageWaitTimeSeconds: String(settings.receiveMessageWaitTimeSeconds),
    MessageRetentionPeriod: String(settings.messageRetentionPeriodSeconds),
    MaximumMessageSize: String(LIMITS.maxMessageBytes),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    SqsManagedSseEnabled: "true",
    ...(settings.redrivePolicy ? { RedrivePolicy: JSON.stringify(settings.redrivePolicy) } : {}),
  };
  if (sqs.sourcesOf(queue).length > 0)
    all.RedriveAllowPolicy = JSON.stringify({ redrivePermission: "allowAll" });
  const names = wanted.filter((w): w is string => typeof w === "string");
  if (names.includes("All")) return all;
  return Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name)));
};

/** What SQS allows as a batch entry's `Id`. */
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Runs each entry of a batch call; a failing entry is reported, the others go on. A batch
 * that is malformed as a whole (no entries, more than 10, ids SQS does not allow or that
 * repeat) is refused whole, as SQS refuses it.
 */
const batch = (request: Json, run: (entry: Json) => Json): { Successful: Json[]; Failed: Json[] } => {
  const entries = list(request, "Entries") as Json[];
  if (entries.length === 0) throw emptyBatchRequest();
  if (entries.length > 10) throw tooManyEntriesInBatchRequest(entries.length);
  const ids = entries.map((entry) => entry.Id);
  if (ids.some((id) => typeof id !== "string" || !BATCH_ENTRY_ID.test(id))) throw invalidBatchEntryId();
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) throw batchEntryIdsNotDistinct(String(repeated));
  const result = { Successful: [] as Json[], Failed: [] as Json[] };
  for (const entry of entries) {
    try {
      result.Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      result.Failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
    }
  }
  return result;
};

const sent = (message: { messageId: string; md5OfBody: string; md5OfMessageAttributes?: string }): Json => ({
  MessageId: message.messageId,
  MD5OfMessageBody: message.md5OfBody,
  ...(message.md5OfMessageAttributes ? { MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
});

const operations: Record<string, (sqs: LocalSqs, request: Json) => Json | Promise<Json>> = {
  SendMessage: (sqs, request) =>
    sent(
      sqs.byUrl(text(request, "QueueUrl")).send({
        body: text(request, "MessageBody"),
        delaySeconds: optionalInt(request, "DelaySeconds"),
        attributes: attributesOf(request.MessageAttributes),
      }),
    ),
  SendMessageBatch: (sqs, request) => {
    const queue = sqs.byUrl(text(request, "QueueUrl"));
    const bytes = (list(request, "Entries") as Json[]).reduce(
      (total, entry) =>
        total +
        messageBytes(
          typeof entry.MessageBody === "string" ? entry.MessageBody : "",
          attributesOf(entry.MessageAttributes),
        ),
      0,
    );
    if (bytes > LIMITS.maxMessageBytes) throw batchRequestTooLong(bytes, LIMITS.maxMessageBytes);
    return batch(request, (entry) =>
      sent(
        queue.send({
          body: text(entry, "MessageBody"),
          delaySeconds: optionalInt(entry, "DelaySeconds"),
          attributes: attributesOf(entry.MessageAttributes),
        }),
      ),
    );
  },
  ReceiveMessage: async (sqs, request) => {
    const messages = await sqs.byUrl(text(request, "QueueUrl")).receive({
      maxMessages: optionalInt(request, "MaxNumberOfMessages"),
      visibilityTimeoutSeconds: optionalInt(request, "VisibilityTimeout"),
      waitTimeSeconds: optionalInt(request, "WaitTimeSeconds"),
    });
    // SQS leaves the list out of an empty answer (and the SDK reads both alike).
    return messages.length === 0 ? {} : { Messages: messages.map((message) => received(message, request)) };
  },
  DeleteMessage: (sqs, request) => {
    sqs.byUrl(text(request, "QueueUrl")).delete(text(request, "ReceiptHandle"));
    return {};
  },
  DeleteMessageBatch: (sqs, request) => {
    const queue = sqs.byUrl(text(request, "QueueUrl"));
    return batch(request, (entry) => {
      queue.delete(text(entry, "ReceiptHandle"));
      return {};
    });
  },
  ChangeMessageVisibility: (sqs, request) => {
    const timeout = optionalInt(request, "VisibilityTimeout");
    if (timeout === undefined) throw missingParameter("VisibilityTimeout");
    sqs.byUrl(text(request, "QueueUrl")).changeVisibility(text(request, "ReceiptHandle"), timeout);
    return {};
  },
  ChangeMessageVisibilityBatch: (sqs, request) => {
    const queue = sqs.byUrl(text(request, "QueueUrl"));
    return batch(request, (entry) => {
      const timeout = optionalInt(entry, "VisibilityTimeout");
      if (timeout === undefined) throw missingParameter("VisibilityTimeout");
      queue.changeVisibility(text(entry, "ReceiptHandle"), timeout);
      return {};
    });
  },
  GetQueueUrl: (sqs, request) => ({ QueueUrl: sqs.byName(text(request, "QueueName")).url }),
  GetQueueAttributes: (sqs, request) => {
    const queue = sqs.byUrl(text(request, "QueueUrl"));
    return { Attributes: queueAttributes(sqs, queue, list(request, "AttributeNames")) };
  },
  ListQueues: (sqs, request) => {
    const prefix = typeof request.QueueNamePrefix === "string" ? request.QueueNamePrefix : "";
    const urls = sqs.list(prefix).map((queue) => queue.url);
    return urls.length === 0 ? {} : { QueueUrls: urls };
  },
  ListDeadLetterSourceQueues: (sqs, request) => ({
    queueUrls: sqs.sourcesOf(sqs.byUrl(text(request, "QueueUrl"))).map((queue) => queue.url),
  }),
  PurgeQueue: (sqs, request) => {
    sqs.byUrl(text(request, "QueueUrl")).purge();
    return {};
  },
  StartMessageMoveTask: (sqs, request) => {
    const sourceArn = text(request, "SourceArn");
    const dlq = sqs.list().find((queue) => queue.arn === sourceArn);
    if (!dlq)
      throw new SqsError(
        "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      );
    const destinationArn = typeof request.DestinationArn === "string" ? request.DestinationArn : undefined;
    const destination = destinationArn ? sqs.list().find((queue) => queue.arn === destinationArn) : undefined;
    if (destinationArn && !destination) throw invalidParameter("The DestinationArn does not name a queue.");
    for (const message of dlq.messages()) {
      const target =
        destination ?? sqs.list().find((queue) => queue.arn === message.deadLetterQueueSourceArn);
      if (!target) continue;
      target.send({ body: message.body, attributes: message.attributes });
      dlq.remove(message.messageId);
    }
    return { TaskHandle: Buffer.from(JSON.stringify({ sourceArn, at: Date.now() })).toString("base64url") };
  },
};

/** Answers one JSON 1.0 request; `target` is the `X-Amz-Target` header. */
export const answerSqsJson = async (
  sqs: LocalSqs,
  method: string,
  target: string | undefined,
  body: string,
): Promise<SqsAnswer> => {
  const operation = target?.startsWith(SQS_TARGET_PREFIX) ? target.slice(SQS_TARGET_PREFIX.length) : "";
  const run = operations[operation];
  if (method !== "POST" || !run) {
    return failure(unsupportedOperation(`The local SQS does not support ${operation || "this request"}.`));
  }
  let request: Json;
  try {
    const parsed: unknown = JSON.parse(body === "" ? "{}" : body);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    request = parsed as Json;
  } catch {
    return failure(new SqsError("SerializationException", "The request body is not a JSON object."));
  }
  try {
    return ok(await run(sqs, request));
  } catch (error) {
    if (error instanceof SqsError) return failure(error);
    throw error;
  }
};

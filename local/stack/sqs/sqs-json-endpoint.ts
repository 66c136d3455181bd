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
 *
 * This file holds the operations and the protocol's envelope. Its siblings: sqs-json-fields.ts
 * (reading a request's parameters, writing messages and attributes) and sqs-json-batch.ts (the
 * batch calls' rules).
 */
import type { LocalSqs } from "./local-sqs.ts";
import {
  batchRequestTooLong,
  invalidParameter,
  missingParameter,
  SqsError,
  unsupportedOperation,
} from "./sqs-errors.ts";
import { runBatch } from "./sqs-json-batch.ts";
import {
  attributesOf,
  type Json,
  list,
  optionalInt,
  queueAttributes,
  receivedJson,
  sentJson,
  text,
} from "./sqs-json-fields.ts";
import { LIMITS, messageBytes } from "./sqs-request-limits.ts";

export const SQS_JSON_CONTENT_TYPE = "application/x-amz-json-1.0";
export const SQS_TARGET_PREFIX = "AmazonSQS.";

export interface SqsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

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

const operations: Record<string, (sqs: LocalSqs, request: Json) => Json | Promise<Json>> = {
  SendMessage: (sqs, request) =>
    sentJson(
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
    return runBatch(request, (entry) =>
      sentJson(
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
    return messages.length === 0
      ? {}
      : { Messages: messages.map((message) => receivedJson(message, request)) };
  },
  DeleteMessage: (sqs, request) => {
    sqs.byUrl(text(request, "QueueUrl")).delete(text(request, "ReceiptHandle"));
    return {};
  },
  DeleteMessageBatch: (sqs, request) => {
    const queue = sqs.byUrl(text(request, "QueueUrl"));
    return runBatch(request, (entry) => {
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
    return runBatch(request, (entry) => {
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

/**
 * The SQS calls of the differential tests, made the way the service makes them
 * (functions/adapters/queue/sqs-redelivery.ts, bin/cancelctl/dead-letters/), on either side.
 */
import {
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageCommand,
  type SendMessageCommandInput,
} from "@aws-sdk/client-sqs";
import { type Compared, shapeOf } from "./answer-shape.ts";
import type { SqsSide } from "./sides.ts";

/** A bus request as the work queue holds one. */
export const REQUEST = JSON.stringify({ target: { type: "intent", id: "intent_67890" } });

/** The attributes the bus function's redelivery puts on a copy. */
export const REDELIVERY_ATTRIBUTES: Record<string, MessageAttributeValue> = {
  redeliveries: { DataType: "Number", StringValue: "1" },
  firstSentAt: { DataType: "Number", StringValue: "1772019000000" },
};

export const send = (side: SqsSide, input: Partial<SendMessageCommandInput> = {}) =>
  side.sqs.send(new SendMessageCommand({ QueueUrl: side.workUrl, MessageBody: REQUEST, ...input }));

/** A receive as cancelctl makes one: every system and message attribute, up to 10 messages. */
export const receive = (side: SqsSide, input: Partial<ReceiveMessageCommandInput> = {}) =>
  side.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: side.workUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
      ...input,
    }),
  );

/** The counts cancelctl shows (and the delayed ones). */
export const counts = async (side: SqsSide, queueUrl = side.workUrl) =>
  (
    await side.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    )
  ).Attributes;

/** Receipt handles of what a receive returned, oldest body first. */
export const handlesOf = (answer: { Messages?: { ReceiptHandle?: string; Body?: string }[] }): string[] =>
  [...(answer.Messages ?? [])]
    .sort((a, b) => (a.Body ?? "").localeCompare(b.Body ?? ""))
    .map((message) => message.ReceiptHandle as string);

/** Messages in a stable order (SQS promises none), for comparing two receives. */
export const byBody = <T extends { Messages?: { Body?: string }[] }>(answer: T): T =>
  answer.Messages === undefined
    ? answer
    : {
        ...answer,
        Messages: [...answer.Messages].sort((a, b) => (a.Body ?? "").localeCompare(b.Body ?? "")),
      };

/** The same calls on each side in turn, their results shaped. */
export const onBoth = async (sides: readonly SqsSide[], calls: (side: SqsSide) => Promise<unknown>) => {
  const shaped: Partial<Compared> = {};
  for (const side of sides) shaped[side.name] = shapeOf(await calls(side));
  return shaped as Compared;
};

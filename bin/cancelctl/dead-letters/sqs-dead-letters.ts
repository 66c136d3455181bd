/**
 * The SQS calls the dead-letter commands make. SQS has no "peek": a message is read by
 * receiving it, which hides it for a visibility timeout. Listing and showing therefore
 * receive, then release what they received at once (visibility 0); a redrive keeps a
 * message hidden while it works on it, and deletes it only after its redrive succeeded.
 * Receiving raises a message's receive count; dead-letter queues here have no redrive
 * policy of their own, so that count moves nothing.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { DeadLetterMessage } from "./dead-letter-message.ts";

export interface ReceivedMessage extends DeadLetterMessage {
  receiptHandle: string;
}

/** SQS's most per ReceiveMessage and per batch call. */
const BATCH = 10;

const toReceived = (message: Message): ReceivedMessage => ({
  messageId: message.MessageId ?? "",
  receiptHandle: message.ReceiptHandle ?? "",
  body: message.Body ?? "",
  attributes: { ...message.Attributes },
  messageAttributes: Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? ""]),
  ),
});

export class DeadLetterQueueClient {
  readonly #sqs: SQSClient;

  constructor(sqs: SQSClient) {
    this.#sqs = sqs;
  }

  /** Messages waiting, and messages received by someone and not yet deleted or released. */
  async depth(queueUrl: string): Promise<{ waiting: number; inFlight: number }> {
    const { Attributes = {} } = await this.#sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return {
      waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /**
   * Receives up to `max` messages, each hidden for `hideSeconds`. Long polling (1 s) asks
   * every SQS server, so an empty answer means no message is visible.
   */
  async receive(queueUrl: string, max: number, hideSeconds: number): Promise<ReceivedMessage[]> {
    const received: ReceivedMessage[] = [];
    while (received.length < max) {
      const { Messages = [] } = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(BATCH, max - received.length),
          VisibilityTimeout: hideSeconds,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      if (Messages.length === 0) break;
      received.push(...Messages.map(toReceived));
    }
    return received;
  }

  /** Makes messages visible again at once: they stay in the queue, untouched. */
  async release(queueUrl: string, messages: readonly ReceivedMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += BATCH) {
      await this.#sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.slice(start, start + BATCH).map((message, i) => ({
            Id: String(i),
            ReceiptHandle: message.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  async remove(queueUrl: string, message: ReceivedMessage): Promise<void> {
    await this.#sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }),
    );
  }

  async send(queueUrl: string, body: string): Promise<string | undefined> {
    const { MessageId } = await this.#sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }),
    );
    return MessageId;
  }
}

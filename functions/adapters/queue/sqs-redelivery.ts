/**
 * Puts a message back on its SQS queue for later: a copy of the body, sent with
 * `DelaySeconds` and a redelivery count, so the original can be reported as processed
 * (deleted) without losing the request. A delay sent this way does not count as a receive
 * of the original, so it never brings a message closer to the dead-letter queue.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { RedeliveryError } from "./queue-errors.ts";
import { MAX_DELAY_SECONDS, REDELIVERY_ATTRIBUTES } from "./redelivery-message.ts";

export { MAX_DELAY_SECONDS, REDELIVERY_ATTRIBUTES } from "./redelivery-message.ts";

export interface Redelivery {
  body: string;
  delaySeconds: number;
  /** Redeliveries so far, this one included. */
  redeliveries: number;
  /** Epoch ms the request first reached the queue. */
  firstSentAt: number;
}

/** Sends a request back to the work queue for later. */
export interface RedeliveryQueue {
  sendLater(redelivery: Redelivery): Promise<void>;
}

export class SqsRedeliveryQueue implements RedeliveryQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { client: SQSClient; queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  /** @throws RedeliveryError when SQS did not take the copy (the SDK has already retried). */
  async sendLater(redelivery: Redelivery): Promise<void> {
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(redelivery.delaySeconds)));
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: redelivery.body,
          DelaySeconds: delaySeconds,
          MessageAttributes: {
            [REDELIVERY_ATTRIBUTES.count]: {
              DataType: "Number",
              StringValue: String(redelivery.redeliveries),
            },
            [REDELIVERY_ATTRIBUTES.firstSentAt]: {
              DataType: "Number",
              StringValue: String(redelivery.firstSentAt),
            },
          },
        }),
      );
    } catch (error) {
      throw new RedeliveryError(`Could not put the request back on the queue: ${(error as Error).name}`, {
        cause: error,
      });
    }
  }
}

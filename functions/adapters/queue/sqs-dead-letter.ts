/**
 * Dead-letters a work-queue message with the error that ended it. SQS's own redrive moves
 * a message after `maxReceiveCount` receives but keeps no trace of why (its attributes are
 * the ones it was sent with), so on the last receive the bus function moves the message
 * itself, with the error as message attributes named as EventBridge's and Scheduler's
 * dead-letter queues name theirs (`ERROR_CODE`, `ERROR_MESSAGE`): `cancelctl dlq` reads
 * them the same way. The queue's redrive policy stays, for an invocation that dies.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { DeadLetterError } from "./queue-errors.ts";

/** Message attributes of a message the bus function dead-lettered itself. */
export const DEAD_LETTER_ATTRIBUTES = {
  errorCode: "ERROR_CODE",
  errorMessage: "ERROR_MESSAGE",
  /** Receives of the message when it was dead-lettered (Number). */
  receives: "receives",
} as const;

/** SQS takes TAB, LF, CR and U+0020 upwards in a String attribute; error texts are kept to one line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cs}]/gu;
const MAX_ERROR_MESSAGE = 1_000;

const oneLine = (text: string, max: number): string => {
  const line = text.replace(NOT_ONE_LINE, " ");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line || "(empty)";
};

export interface DeadLetter {
  body: string;
  /** The error's class name, e.g. `StoreUnavailableError`. */
  errorCode: string;
  errorMessage: string;
  receives: number;
}

export interface DeadLetterQueue {
  send(deadLetter: DeadLetter): Promise<void>;
}

export class SqsDeadLetterQueue implements DeadLetterQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { client: SQSClient; queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  /** @throws DeadLetterError when SQS did not take the message (the SDK has already retried). */
  async send(deadLetter: DeadLetter): Promise<void> {
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: deadLetter.body,
          MessageAttributes: {
            [DEAD_LETTER_ATTRIBUTES.errorCode]: {
              DataType: "String",
              StringValue: oneLine(deadLetter.errorCode, 256),
            },
            [DEAD_LETTER_ATTRIBUTES.errorMessage]: {
              DataType: "String",
              StringValue: oneLine(deadLetter.errorMessage, MAX_ERROR_MESSAGE),
            },
            [DEAD_LETTER_ATTRIBUTES.receives]: {
              DataType: "Number",
              StringValue: String(deadLetter.receives),
            },
          },
        }),
      );
    } catch (error) {
      throw new DeadLetterError(`Could not dead-letter the message: ${(error as Error).name}`, {
        cause: error,
      });
    }
  }
}

/**
 * The bus function's two queues on one SQS client: the work queue a rate-limited request
 * is put back on, and the dead-letter queue a message goes to on its last receive. Loaded
 * by bus-wiring.ts on the first such send, with the SQS client: most batches send nothing.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { SqsDeadLetterQueue } from "#adapters/queue/sqs-dead-letter.ts";
import { SqsRedeliveryQueue } from "#adapters/queue/sqs-redelivery.ts";

export interface SqsQueueSettings {
  queueUrl: string;
  failuresUrl: string;
  /** Local stack and tests: an SQS emulator. */
  endpoint?: string | undefined;
  /** A client made elsewhere (tests bind theirs to a role); otherwise one is made here. */
  client?: SQSClient | undefined;
}

const clients = new WeakMap<SqsQueueSettings, SQSClient>();

/** One client per settings object, shared by both queues. */
const clientOf = (settings: SqsQueueSettings): SQSClient => {
  let client = settings.client ?? clients.get(settings);
  if (!client) {
    client = new SQSClient({ ...(settings.endpoint ? { endpoint: settings.endpoint } : {}), maxAttempts: 3 });
    clients.set(settings, client);
  }
  return client;
};

export const redeliveryQueue = (settings: SqsQueueSettings): SqsRedeliveryQueue =>
  new SqsRedeliveryQueue({ client: clientOf(settings), queueUrl: settings.queueUrl });

export const deadLetterQueue = (settings: SqsQueueSettings): SqsDeadLetterQueue =>
  new SqsDeadLetterQueue({ client: clientOf(settings), queueUrl: settings.failuresUrl });

/**
 * The bulk driver's work queue (the `Cancel Requested` queue its items go to) on an SQS client
 * of its own. Loaded by bulk-driver-wiring.ts on the driver's first send, with the SQS client:
 * most continuation runs find no bulk job, so the continuation's cold start does not pay for it.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { SqsBulkWorkQueue } from "#adapters/queue/bulk-item-queue.ts";

export interface BulkWorkQueueSettings {
  queueUrl: string;
  /** Local stack and tests: an SQS emulator. */
  endpoint?: string | undefined;
  /** A client made elsewhere (tests bind theirs to a role); otherwise one is made here. */
  client?: SQSClient | undefined;
}

export const bulkWorkQueue = ({ queueUrl, endpoint, client }: BulkWorkQueueSettings): SqsBulkWorkQueue =>
  new SqsBulkWorkQueue({
    client: client ?? new SQSClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 }),
    queueUrl,
  });

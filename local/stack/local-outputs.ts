/**
 * The local stack's "outputs": what `sst deploy` writes to `.sst/outputs.json` for a deployed
 * stage, written to `$CANCEL_LOCAL_DIR/outputs.json` while `npm start` runs, so `cancelctl dlq`
 * works on the local stack the same way (bin/cancelctl/dead-letters/queue-catalogue.ts reads it).
 *
 * Locally one dead-letter queue is an SQS queue: the bus work queue's. The rule's undeliverable
 * events and the outbox relay's failures are shown by `GET /events` instead (the local bus and
 * the stream source keep them in memory and in `.local/outbox/`), and the schedules invoke their
 * functions directly, with no scheduler DLQ.
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LOCAL_REGION } from "./lambda-context.ts";
import { SQS_PATH } from "./local-stack.ts";
import type { LocalSqs } from "./sqs/local-sqs.ts";

export interface LocalQueueNames {
  workQueue: string;
  deadLetterQueue: string;
}

/** Writes the file; returns a function that removes it (when the stack stops). */
export const writeLocalOutputs = (
  stateDir: string,
  apiUrl: string,
  sqs: LocalSqs,
  names: LocalQueueNames,
): (() => void) => {
  const file = path.join(stateDir, "outputs.json");
  const outputs = {
    region: LOCAL_REGION,
    sqsEndpoint: `${apiUrl}${SQS_PATH}`,
    deadLetterQueues: [
      {
        name: "CancelRequestedFailures",
        url: sqs.byName(names.deadLetterQueue).url,
        holds: "bus-event",
        // Back to the work queue, as the rule delivers it.
        redrive: { type: "queue", queueUrl: sqs.byName(names.workQueue).url },
      },
    ],
  };
  writeFileSync(file, `${JSON.stringify(outputs, null, 2)}\n`, { mode: 0o600 });
  return () => rmSync(file, { force: true });
};

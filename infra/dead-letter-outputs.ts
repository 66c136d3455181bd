import { FUNCTION_LIST } from "../functions/manifest/function-manifest.ts";
import type { TriggerQueue } from "./queues.ts";
import type { Storage } from "./storage.ts";

/**
 * The `deadLetterQueues` stack output `cancelctl dlq` reads from `.sst/outputs.json`
 * (bin/cancelctl/dead-letters/queue-catalogue.ts validates the same shape).
 *
 * - `holds`: what a message's body is. `bus-event`: an EventBridge event (from the rule's
 *   DLQ or the work queue's DLQ), or Lambda's on-failure record around one
 *   (`requestPayload`); `schedule-input`: the scheduler's input for the function;
 *   `stream-batch`: Lambda's on-failure record of a stream batch (`DDBStreamBatchInfo`).
 * - `redrive`: the normal path a message goes back through. `queue`: sent to the queue the
 *   function consumes; `function`: an asynchronous invoke, as the rule or the scheduler
 *   makes it; `stream-batch`: the batch's records read again from the audit table and
 *   handed to the relay function, as the stream hands them.
 */
export type RedriveTargetOutput =
  | { type: "queue"; queueUrl: $util.Input<string> }
  | { type: "function"; functionName: $util.Input<string> }
  | { type: "stream-batch"; functionName: $util.Input<string>; auditTable: $util.Input<string> };

export interface DeadLetterQueueOutput {
  name: string;
  url: $util.Input<string>;
  holds: "bus-event" | "schedule-input" | "stream-batch";
  redrive: RedriveTargetOutput;
}

/**
 * Each dead-letter queue a trigger owns (queues.ts), what its messages hold and where a
 * redriven one goes: a work queue's failures and undelivered events back to the work queue,
 * as the rule would have delivered them; a schedule's undelivered inputs to the function;
 * a stream mapping's failure records to the function, with the table they are read from.
 */
export function deadLetterOutputs(
  triggerQueues: readonly TriggerQueue[],
  deps: { handlerOf: (name: string) => sst.aws.Function; storage: Storage },
): DeadLetterQueueOutput[] {
  return triggerQueues.flatMap((q): DeadLetterQueueOutput[] => {
    const fn = FUNCTION_LIST.find((f) => f.name === q.owner);
    if (!fn || q.role === "work") return [];
    const url = q.queue.url;
    const functionName = deps.handlerOf(fn.name).name;
    switch (fn.trigger.kind) {
      case "work-queue": {
        const work = triggerQueues.find((w) => w.owner === fn.name && w.role === "work");
        if (!work) throw new Error(`${fn.name}: a work-queue trigger without its work queue`);
        return [
          { name: q.name, url, holds: "bus-event", redrive: { type: "queue", queueUrl: work.queue.url } },
        ];
      }
      case "schedule":
        return [{ name: q.name, url, holds: "schedule-input", redrive: { type: "function", functionName } }];
      case "dynamodb-stream":
        return [
          {
            name: q.name,
            url,
            holds: "stream-batch",
            redrive: { type: "stream-batch", functionName, auditTable: deps.storage[fn.trigger.table].name },
          },
        ];
      case "http":
        return [];
    }
    return [];
  });
}

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

import type { FunctionDefinition, Trigger } from "../functions/manifest/manifest-types.ts";
import { allowRuleToSend } from "./queues.ts";

type WorkQueueTrigger = Extract<Trigger, { kind: "work-queue" }>;

/**
 * A work-queue trigger (docs/decisions/0004-bus-buffering.md): a rule on the service's bus
 * delivers each event of the trigger's detail-type to the function's work queue, and an
 * event source mapping drains it into the function at a bounded concurrency. Failure
 * handling has two layers:
 * - delivery: the rule target's retry policy, then its own dead-letter queue (`undelivered`);
 * - processing: a message that fails is returned after the visibility timeout and moved to
 *   the failures queue after `maxReceiveCount` receives (the work queue's redrive policy,
 *   queues.ts). A function may put a delayed copy back instead of failing (the bus function
 *   does for rate-limited requests; its manifest entry grants that SendMessage).
 */
export function connectWorkQueue(
  fn: FunctionDefinition & { trigger: WorkQueueTrigger },
  handler: sst.aws.Function,
  deps: { bus: sst.aws.Bus; work: sst.aws.Queue; undelivered: sst.aws.Queue },
) {
  const { trigger } = fn;
  const { bus, work, undelivered } = deps;
  const mapping = new aws.lambda.EventSourceMapping(`${fn.name}QueueMapping`, {
    eventSourceArn: work.arn,
    functionName: handler.arn,
    batchSize: trigger.mapping.batchSize,
    maximumBatchingWindowInSeconds: trigger.mapping.maximumBatchingWindowSeconds,
    functionResponseTypes: ["ReportBatchItemFailures"],
    scalingConfig: { maximumConcurrency: trigger.mapping.maximumConcurrency },
  });

  const rule = new aws.cloudwatch.EventRule(`${fn.name}Rule`, {
    eventBusName: bus.name,
    description: `${trigger.detailType} events to the ${fn.name} function's work queue`,
    eventPattern: JSON.stringify({ "detail-type": [trigger.detailType] }),
  });
  const target = new aws.cloudwatch.EventTarget(`${fn.name}Target`, {
    rule: rule.name,
    eventBusName: bus.name,
    arn: work.arn,
    retryPolicy: { ...trigger.delivery },
    deadLetterConfig: { arn: undelivered.arn },
  });

  // The rule (not a role) sends to both queues: each allows that rule and nothing else.
  allowRuleToSend(`${fn.name}QueuePolicy`, work, rule.arn);
  allowRuleToSend(`${fn.name}DlqPolicy`, undelivered, rule.arn);

  return { mapping, rule, target };
}

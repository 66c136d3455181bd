import { FUNCTION_LIST } from "../functions/manifest/function-manifest.ts";
import { triggerQueuesOf } from "../functions/manifest/function-resources.ts";

/** Dead-letter queues keep what could not be delivered or processed for 14 days (the SQS maximum). */
const FOURTEEN_DAYS_IN_SECONDS = 14 * 24 * 60 * 60;

/** A queue that only collects failures: long retention, encrypted at rest by SQS. */
export function deadLetterQueue(name: string) {
  return new sst.aws.Queue(name, {
    transform: {
      queue: (args) => {
        args.messageRetentionSeconds = FOURTEEN_DAYS_IN_SECONDS;
        args.sqsManagedSseEnabled = true;
      },
    },
  });
}

/**
 * A queue of work for one Lambda consumer: encrypted at rest, with a visibility timeout sized
 * to the consumer (its manifest entry's trigger) and a redrive policy that moves a message to
 * `deadLetter` after `maxReceiveCount` receives.
 */
export function workQueue(
  name: string,
  settings: {
    visibilityTimeoutSeconds: number;
    deadLetter: { arn: $util.Input<string>; maxReceiveCount: number };
  },
) {
  return new sst.aws.Queue(name, {
    visibilityTimeout: `${settings.visibilityTimeoutSeconds} seconds`,
    dlq: { queue: settings.deadLetter.arn, retry: settings.deadLetter.maxReceiveCount },
    // Retention stays SQS's default (4 days): a rate-limited request is put back as a new
    // message, so retention bounds how long one copy waits, not how long a request is retried.
    transform: {
      queue: (args) => {
        args.sqsManagedSseEnabled = true;
      },
    },
  });
}

/**
 * A queue policy that lets exactly one EventBridge rule send to the queue (the rule, not a
 * role, delivers to an SQS target and to a target's dead-letter queue).
 */
export function allowRuleToSend(
  name: string,
  queue: { arn: $util.Input<string>; url: $util.Input<string> },
  ruleArn: $util.Input<string>,
) {
  return new aws.sqs.QueuePolicy(name, {
    queueUrl: queue.url,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowOneRule",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
        },
      ],
    }),
  });
}

/** A queue a trigger owns, with what it holds (alarms: a stale oldest message for work, any message for the others). */
export interface TriggerQueue {
  /** Logical name, also the `--queue` name `cancelctl dlq` knows it by. */
  name: string;
  owner: string;
  role: "work" | "failures" | "undelivered";
  queue: sst.aws.Queue;
}

/**
 * Every queue the manifest's triggers own (functions/manifest `triggerQueuesOf`), in manifest
 * order: a work queue (redriven to its failures queue), its failures queue, and the DLQ of
 * what a rule or a schedule could not deliver.
 */
export function createTriggerQueues(): TriggerQueue[] {
  const created: TriggerQueue[] = [];
  for (const fn of FUNCTION_LIST) {
    const { work, failures, undelivered } = triggerQueuesOf(fn);
    const failuresQueue = failures === undefined ? undefined : deadLetterQueue(failures);
    if (work !== undefined && fn.trigger.kind === "work-queue" && failuresQueue) {
      const queue = workQueue(work, {
        visibilityTimeoutSeconds: fn.trigger.visibilityTimeoutSeconds,
        deadLetter: { arn: failuresQueue.arn, maxReceiveCount: fn.trigger.maxReceiveCount },
      });
      created.push({ name: work, owner: fn.name, role: "work", queue });
    }
    if (undelivered !== undefined) {
      created.push({
        name: undelivered,
        owner: fn.name,
        role: "undelivered",
        queue: deadLetterQueue(undelivered),
      });
    }
    if (failures !== undefined && failuresQueue) {
      created.push({ name: failures, owner: fn.name, role: "failures", queue: failuresQueue });
    }
  }
  return created;
}

import type { Trigger } from "../functions/manifest/manifest-types.ts";
import { lambdaDefaults } from "./settings.ts";

type ScheduleTrigger = Extract<Trigger, { kind: "schedule" }>;

/**
 * A function run on an EventBridge Scheduler schedule (CronV2), as its manifest entry's
 * trigger says: the scheduler retries delivery `retries` times and parks what it cannot
 * deliver in `dlq`; the Lambda itself is not retried asynchronously (the next run is the
 * retry, and a retried run would overlap it), and a run still queued after
 * `maxEventAgeSeconds` (about one period) is stale and dropped.
 */
export function scheduledFunction(
  name: string,
  options: {
    trigger: ScheduleTrigger;
    function: Omit<sst.aws.FunctionArgs, "retries" | "transform">;
    dlq: sst.aws.Queue;
  },
) {
  const { trigger, dlq } = options;
  const handler = new sst.aws.Function(name, {
    ...lambdaDefaults(),
    ...options.function,
    retries: 0,
    transform: {
      ...lambdaDefaults().transform,
      eventInvokeConfig: (args) => {
        args.maximumEventAgeInSeconds = trigger.maxEventAgeSeconds;
      },
    },
  });
  const cron = new sst.aws.CronV2(`${name}Schedule`, {
    schedule: trigger.schedule,
    function: handler,
    retries: trigger.retries,
    dlq: dlq.arn,
  });
  return { handler, cron };
}

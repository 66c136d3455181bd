import { deadLetterQueue } from "./queues.ts";
import { lambdaDefaults } from "./settings.ts";

/**
 * A function run on an EventBridge Scheduler schedule (CronV2), as the sweep and the
 * continuation are: the scheduler retries delivery twice and parks what it cannot deliver in
 * `<name>Dlq`; the Lambda itself is not retried asynchronously (the next run is the retry, and
 * a retried run would overlap it), and a run still queued after `maxEventAgeSeconds` (about one
 * period) is stale and dropped.
 */
export function scheduledFunction(
  name: string,
  options: {
    schedule: sst.aws.CronV2Args["schedule"];
    maxEventAgeSeconds: number;
    function: Omit<sst.aws.FunctionArgs, "retries" | "transform">;
  },
) {
  const dlq = deadLetterQueue(`${name}Dlq`);
  const handler = new sst.aws.Function(name, {
    ...lambdaDefaults(),
    ...options.function,
    retries: 0,
    transform: {
      ...lambdaDefaults().transform,
      eventInvokeConfig: (args) => {
        args.maximumEventAgeInSeconds = options.maxEventAgeSeconds;
      },
    },
  });
  const cron = new sst.aws.CronV2(`${name}Schedule`, {
    schedule: options.schedule,
    function: handler,
    retries: 2,
    dlq: dlq.arn,
  });
  return { handler, cron, dlq };
}

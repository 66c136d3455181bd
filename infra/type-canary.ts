/**
 * Mistakes the infra type-check must keep catching. Each `@ts-expect-error` below must stay an
 * error: if an SST upgrade (or a tsconfig change) stops checking one of these, the directive is
 * unused, which is itself an error, and `npm run check:infra` fails. Never imported or run.
 */
export function typeCanary(): void {
  new sst.aws.CronV2("CanarySchedule", {
    function: "functions/handlers/expiry-sweep.handler",
    // @ts-expect-error a schedule is `rate(...)`, `cron(...)` or `at(...)`, not prose
    schedule: "every 15 minutes",
  });

  new sst.aws.Function("CanaryMemory", {
    handler: "functions/handlers/http-api.handler",
    // @ts-expect-error memory is a size string such as "1024 MB", not a number
    memory: 1024,
  });

  new sst.aws.Function("CanaryTimeout", {
    handler: "functions/handlers/http-api.handler",
    // @ts-expect-error timeout is a duration string such as "10 seconds"
    timeout: 10,
  });

  new sst.aws.Function("CanaryRuntime", {
    handler: "functions/handlers/http-api.handler",
    // @ts-expect-error not a Lambda runtime SST knows
    runtime: "nodejs99.x",
  });

  new sst.aws.Function("CanaryArchitecture", {
    handler: "functions/handlers/http-api.handler",
    // @ts-expect-error Lambda architectures are "x86_64" and "arm64"
    architecture: "aarch64",
  });

  new sst.aws.Dynamo("CanaryTable", {
    fields: { pk: "string" },
    // @ts-expect-error misspelt option: it is `hashKey`
    primaryIndex: { hashkey: "pk" },
  });

  new sst.aws.Function("CanaryRetries", {
    handler: "functions/handlers/cancel-requested.handler",
    transform: {
      eventInvokeConfig: (args) => {
        // @ts-expect-error misspelt option: it is `maximumRetryAttempts`
        args.maximumRetryAttempt = 2;
      },
    },
  });

  new sst.aws.Function("CanaryLogRetention", {
    handler: "functions/handlers/http-api.handler",
    // @ts-expect-error log retention is one of SST's named periods, e.g. "1 month"
    logging: { retention: "30 days" },
  });
}

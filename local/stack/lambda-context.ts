/**
 * A Lambda `Context` for local invocations, with a time budget the handlers read through
 * `getRemainingTimeInMillis()` (they bound retries and the sweep by it), and the function
 * timeouts the deployed functions have.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { OUTBOX_RELAY_FUNCTION } from "#adapters/outbox/relay-stream-settings.ts";

/** Per-invocation budgets of the local functions, as their deployed timeouts. */
export const LOCAL_FUNCTIONS = {
  http: { functionName: "cancellation-local-http-api", budgetMs: 10_000, memoryMb: 512 },
  bus: { functionName: "cancellation-local-cancel-requested", budgetMs: 60_000, memoryMb: 512 },
  sweep: { functionName: "cancellation-local-expiry-sweep", budgetMs: 300_000, memoryMb: 1024 },
  relay: {
    functionName: "cancellation-local-outbox-relay",
    budgetMs: OUTBOX_RELAY_FUNCTION.timeoutSeconds * 1000,
    memoryMb: OUTBOX_RELAY_FUNCTION.memoryMb,
  },
} as const;

export type LocalFunction = keyof typeof LOCAL_FUNCTIONS;

const REGION = "us-east-1";
const ACCOUNT = "000000000000";

/**
 * A fresh context for one invocation.
 *
 * @param now - injected in tests
 */
export const createLambdaContext = (
  fn: LocalFunction,
  options: { awsRequestId?: string; now?: () => number } = {},
): Context => {
  const { functionName, budgetMs, memoryMb } = LOCAL_FUNCTIONS[fn];
  const now = options.now ?? Date.now;
  const deadline = now() + budgetMs;
  const unsupported = (name: string) => (): never => {
    throw new Error(`context.${name}() is a legacy callback API; return a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
};

export class LambdaTimeoutError extends Error {
  override readonly name = "LambdaTimeoutError";
}

/**
 * Runs one invocation and rejects like Lambda when it outlives its budget ("Task timed
 * out after 10.00 seconds"). The handler's promise cannot be stopped locally; its late
 * result is ignored.
 */
export const invokeWithBudget = async <T>(
  fn: LocalFunction,
  run: (context: Context) => Promise<T>,
  options: { awsRequestId?: string } = {},
): Promise<T> => {
  const context = createLambdaContext(fn, options);
  const { budgetMs } = LOCAL_FUNCTIONS[fn];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LambdaTimeoutError(`Task timed out after ${(budgetMs / 1000).toFixed(2)} seconds`)),
      budgetMs,
    );
  });
  try {
    return await Promise.race([run(context), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

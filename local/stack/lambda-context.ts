/**
 * A Lambda `Context` for local invocations, with the time budget the handlers read through
 * `getRemainingTimeInMillis()` (they bound retries and the sweep by it): the function's
 * timeout, counted from the invocation's start.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

/** What a context says about the function it belongs to. */
export interface LambdaIdentity {
  functionName: string;
  memoryMb: number;
  timeoutMs: number;
}

export const LOCAL_REGION = "us-east-1";
export const LOCAL_ACCOUNT = "000000000000";

/**
 * A fresh context for one invocation.
 *
 * @param options.deadline - epoch ms the invocation must end by (default: now + the timeout)
 * @param options.now - injected in tests
 */
export const createLambdaContext = (
  fn: LambdaIdentity,
  options: { awsRequestId?: string; deadline?: number; now?: () => number; logStreamName?: string } = {},
): Context => {
  const now = options.now ?? Date.now;
  const deadline = options.deadline ?? now() + fn.timeoutMs;
  const unsupported = (name: string) => (): never => {
    throw new Error(`context.${name}() is a legacy callback API; return a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: options.logStreamName ?? `local/[$LATEST]${randomUUID().replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
};

export class LambdaTimeoutError extends Error {
  override readonly name = "LambdaTimeoutError";
}

/** Lambda's own words for a timeout: "Task timed out after 10.00 seconds". */
export const timeoutMessage = (timeoutMs: number): string =>
  `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;

/**
 * Runs one invocation in this process and rejects like Lambda when it outlives its timeout.
 * The handler's promise cannot be stopped in-process; its late result is ignored (the worker
 * pool, function-pool.ts, kills the container instead, as Lambda does).
 */
export const invokeWithBudget = async <T>(
  fn: LambdaIdentity,
  run: (context: Context) => Promise<T>,
  options: { awsRequestId?: string } = {},
): Promise<T> => {
  const context = createLambdaContext(fn, options);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(timeoutMessage(fn.timeoutMs))), fn.timeoutMs);
  });
  try {
    return await Promise.race([run(context), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

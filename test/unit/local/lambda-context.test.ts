import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createLambdaContext,
  invokeWithBudget,
  LambdaTimeoutError,
  LOCAL_FUNCTIONS,
} from "#local/stack/lambda-context.ts";

describe("createLambdaContext", () => {
  it("counts the remaining time down from the function's budget", () => {
    // Prepare
    let now = 1_000_000;
    const context = createLambdaContext("bus", { awsRequestId: "req-1", now: () => now });

    // Act
    now += 15_000;

    // Assess
    expect(context.getRemainingTimeInMillis()).toBe(LOCAL_FUNCTIONS.bus.budgetMs - 15_000);
    expect(context.awsRequestId).toBe("req-1");
    expect(context.functionName).toBe(LOCAL_FUNCTIONS.bus.functionName);
    expect(context.invokedFunctionArn).toBe(
      `arn:aws:lambda:us-east-1:000000000000:function:${LOCAL_FUNCTIONS.bus.functionName}`,
    );
    now += LOCAL_FUNCTIONS.bus.budgetMs;
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it("gives the documented budgets: http 10 s, bus 60 s, sweep 300 s", () => {
    expect([
      LOCAL_FUNCTIONS.http.budgetMs,
      LOCAL_FUNCTIONS.bus.budgetMs,
      LOCAL_FUNCTIONS.sweep.budgetMs,
    ]).toEqual([10_000, 60_000, 300_000]);
  });
});

describe("invokeWithBudget", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("rejects like Lambda when the handler outlives its budget", async () => {
    vi.useFakeTimers();
    const invocation = invokeWithBudget("http", () => new Promise<never>(() => {}));
    const assertion = expect(invocation).rejects.toThrow(
      new LambdaTimeoutError("Task timed out after 10.00 seconds"),
    );

    await vi.advanceTimersByTimeAsync(LOCAL_FUNCTIONS.http.budgetMs);

    await assertion;
  });

  it("returns the handler's result within the budget", async () => {
    await expect(invokeWithBudget("sweep", async (context) => context.functionName)).resolves.toBe(
      LOCAL_FUNCTIONS.sweep.functionName,
    );
  });
});

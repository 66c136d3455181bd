import { afterEach, describe, expect, it, vi } from "vitest";
import { identityOf, physicalName } from "#local/stack/lambda/local-function.ts";
import { createLambdaContext, invokeWithBudget, LambdaTimeoutError } from "#local/stack/lambda-context.ts";
import { declaredFunction } from "#test/support/local-front-door.ts";

const HTTP = identityOf(declaredFunction("http-api"));
const BUS = identityOf(declaredFunction("cancel-requested"));
const SWEEP = identityOf(declaredFunction("expiry-sweep"));

describe("createLambdaContext", () => {
  it("counts the remaining time down from the function's timeout", () => {
    // Prepare
    let now = 1_000_000;
    const context = createLambdaContext(BUS, { awsRequestId: "req-1", now: () => now });

    // Act
    now += 15_000;

    // Assess
    expect(context.getRemainingTimeInMillis()).toBe(BUS.timeoutMs - 15_000);
    expect(context.awsRequestId).toBe("req-1");
    expect(context.functionName).toBe("cancellation-local-cancel-requested");
    expect(context.invokedFunctionArn).toBe(
      "arn:aws:lambda:us-east-1:000000000000:function:cancellation-local-cancel-requested",
    );
    now += BUS.timeoutMs;
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it("counts down to a given deadline (a container's invocation)", () => {
    const now = 5_000;
    const context = createLambdaContext(BUS, { deadline: 7_500, now: () => now });

    expect(context.getRemainingTimeInMillis()).toBe(2_500);
  });

  it("declares the deployed timeouts: http 10 s, bus 60 s, sweep 300 s", () => {
    expect([HTTP.timeoutMs, BUS.timeoutMs, SWEEP.timeoutMs]).toEqual([10_000, 60_000, 300_000]);
    expect(physicalName(declaredFunction("expiry-sweep"))).toBe(SWEEP.functionName);
  });
});

describe("invokeWithBudget", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("rejects like Lambda when the handler outlives its timeout", async () => {
    vi.useFakeTimers();
    const invocation = invokeWithBudget(HTTP, () => new Promise<never>(() => {}));
    const assertion = expect(invocation).rejects.toThrow(
      new LambdaTimeoutError("Task timed out after 10.00 seconds"),
    );

    await vi.advanceTimersByTimeAsync(HTTP.timeoutMs);

    await assertion;
  });

  it("returns the handler's result within the timeout", async () => {
    await expect(invokeWithBudget(SWEEP, async (context) => context.functionName)).resolves.toBe(
      SWEEP.functionName,
    );
  });
});

import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  createRetryPolicy,
  isRetryableStatus,
  isTransientFetchError,
  parseRetryAfter,
  RetriesExhaustedError,
  type RetryEnvironment,
  type RetryEvent,
  type RetrySettings,
  type RetryVerdict,
} from "#adapters/http/retry-policy.ts";

const START = 1_772_019_000_000;

/** A clock that only moves when the policy sleeps, and a scripted random source. */
const fakeEnvironment = (randoms: number[] = [0.5]) => {
  let clock = START;
  let draw = 0;
  const sleeps: number[] = [];
  const env: RetryEnvironment = {
    now: () => clock,
    random: () => randoms[draw++ % randoms.length] ?? 0,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return { env, sleeps, elapsed: () => clock - START };
};

const settings = (overrides: Partial<RetrySettings> = {}): RetrySettings => ({
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 4_000,
  attemptTimeoutMs: 5_000,
  ...overrides,
});

/** Judges an HTTP-like answer the way the upstream clients do. */
const judgeStatus = (answer: { status: number; retryAfterMs?: number }): RetryVerdict =>
  isRetryableStatus(answer.status)
    ? {
        retry: true,
        reason: `HTTP ${answer.status}`,
        ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }),
      }
    : { retry: false };

/** Answers from a script, one per attempt (the last repeats). */
const scripted = <T>(answers: (T | Error)[]) => {
  const calls: number[] = [];
  const attempt = async (n: number): Promise<T> => {
    calls.push(n);
    const answer = answers[Math.min(n, answers.length) - 1] as T | Error;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { attempt, calls };
};

const networkError = (code = "ECONNRESET"): TypeError =>
  new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });

describe("backoffDelay", () => {
  it("draws uniformly below an exponential cap (full jitter)", () => {
    const s = settings({ baseDelayMs: 100, maxDelayMs: 1_000 });
    expect(backoffDelay(s, 1, 0.999)).toBe(99);
    expect(backoffDelay(s, 2, 0.999)).toBe(199);
    expect(backoffDelay(s, 3, 0.5)).toBe(200);
    expect(backoffDelay(s, 5, 0.999)).toBe(999); // capped at maxDelayMs
    expect(backoffDelay(s, 1, 0)).toBe(0);
  });

  it("never waits less than Retry-After", () => {
    expect(backoffDelay(settings(), 1, 0.5, 3_000)).toBe(3_000);
    expect(backoffDelay(settings({ baseDelayMs: 10_000, maxDelayMs: 10_000 }), 1, 0.5, 1_000)).toBe(5_000);
  });
});

describe("createRetryPolicy().run", () => {
  it("sleeps full-jitter delays between retries, drawn from the injected random", async () => {
    // Prepare
    const { env, sleeps } = fakeEnvironment([0.5, 0.25, 0.999, 0, 0.5, 0.5]);
    const policy = createRetryPolicy(settings({ maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 }), env);
    const events: RetryEvent[] = [];
    // Act
    const result = await policy.run({
      attempt: async () => ({ status: 503 }),
      judge: judgeStatus,
      isRetryableError: () => false,
      deadline: START + 60_000,
      onRetry: (event) => events.push(event),
    });
    // Assess: caps 100, 200, 400, 800, 1000 (max)
    expect(sleeps).toEqual([50, 50, 399, 0, 500]);
    expect(events.map((e) => e.delayMs)).toEqual(sleeps);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(events[0]?.reason).toBe("HTTP 503");
    expect(result).toEqual({ answer: { status: 503 }, attempts: 6, exhausted: true });
  });

  it("returns the first answer that needs no retry", async () => {
    const { env, sleeps } = fakeEnvironment();
    const { attempt, calls } = scripted([{ status: 500 }, { status: 502 }, { status: 200 }]);
    const result = await createRetryPolicy(settings(), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: () => false,
      deadline: START + 60_000,
    });
    expect(result).toEqual({ answer: { status: 200 }, attempts: 3, exhausted: false });
    expect(calls).toEqual([1, 2, 3]);
    expect(sleeps).toHaveLength(2);
  });

  it("waits at least Retry-After before the next attempt", async () => {
    // Prepare: jitter alone would wait 50 ms
    const { env, sleeps } = fakeEnvironment([0.5]);
    const { attempt } = scripted([{ status: 429, retryAfterMs: 2_000 }, { status: 200 }]);
    // Act
    const result = await createRetryPolicy(settings(), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: () => false,
      deadline: START + 60_000,
    });
    // Assess
    expect(sleeps).toEqual([2_000]);
    expect(result.attempts).toBe(2);
    expect(result.answer).toEqual({ status: 200 });
  });

  it("stops after maxAttempts and returns the last retryable answer as exhausted", async () => {
    const { env, sleeps } = fakeEnvironment();
    const { attempt, calls } = scripted([{ status: 500 }, { status: 502 }, { status: 503 }, { status: 200 }]);
    const result = await createRetryPolicy(settings({ maxAttempts: 3 }), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: () => false,
      deadline: START + 60_000,
    });
    expect(calls).toEqual([1, 2, 3]);
    expect(sleeps).toHaveLength(2);
    expect(result).toEqual({ answer: { status: 503 }, attempts: 3, exhausted: true });
  });

  it("does not start a wait that would end past the deadline", async () => {
    // Prepare: delays 99, 199, 399… against a 350 ms budget
    const { env, sleeps, elapsed } = fakeEnvironment([0.999]);
    const { attempt, calls } = scripted([{ status: 500 }]);
    // Act
    const result = await createRetryPolicy(settings({ maxAttempts: 10 }), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: () => false,
      deadline: START + 350,
    });
    // Assess
    expect(sleeps).toEqual([99, 199]);
    expect(calls).toEqual([1, 2, 3]);
    expect(result.exhausted).toBe(true);
    expect(elapsed()).toBeLessThan(350);
  });

  it("gives up at once when Retry-After reaches past the deadline", async () => {
    const { env, sleeps } = fakeEnvironment();
    const { attempt, calls } = scripted([{ status: 429, retryAfterMs: 30_000 }, { status: 200 }]);
    const result = await createRetryPolicy(settings(), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: () => false,
      deadline: START + 10_000,
    });
    expect(calls).toEqual([1]);
    expect(sleeps).toEqual([]);
    expect(result).toEqual({ answer: { status: 429, retryAfterMs: 30_000 }, attempts: 1, exhausted: true });
  });

  it("makes no attempt when the deadline has already passed", async () => {
    const { env } = fakeEnvironment();
    const { attempt, calls } = scripted([{ status: 200 }]);
    const run = createRetryPolicy(settings(), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: () => false,
      deadline: START,
    });
    await expect(run).rejects.toMatchObject({ name: "RetriesExhaustedError", attempts: 0 });
    expect(calls).toEqual([]);
  });

  it.each([400, 401, 403, 404, 409, 422])("never retries HTTP %i", async (status) => {
    const { env, sleeps } = fakeEnvironment();
    const { attempt, calls } = scripted([{ status }, { status: 200 }]);
    const result = await createRetryPolicy(settings(), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: () => true,
      deadline: START + 60_000,
    });
    expect(calls).toEqual([1]);
    expect(sleeps).toEqual([]);
    expect(result).toEqual({ answer: { status }, attempts: 1, exhausted: false });
  });

  it("retries a network error", async () => {
    const { env } = fakeEnvironment();
    const { attempt, calls } = scripted<{ status: number }>([networkError(), { status: 200 }]);
    const events: RetryEvent[] = [];
    const result = await createRetryPolicy(settings(), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: isTransientFetchError,
      deadline: START + 60_000,
      onRetry: (event) => events.push(event),
    });
    expect(calls).toEqual([1, 2]);
    expect(result).toEqual({ answer: { status: 200 }, attempts: 2, exhausted: false });
    expect(events[0]?.reason).toBe("TypeError: ECONNRESET");
  });

  it("aborts an attempt after attemptTimeoutMs and retries it", async () => {
    // Prepare: the first attempt never answers on its own
    const { env } = fakeEnvironment();
    const signals: AbortSignal[] = [];
    const attempt = (n: number, signal: AbortSignal): Promise<{ status: number }> => {
      signals.push(signal);
      if (n > 1) return Promise.resolve({ status: 200 });
      return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    };
    // Act
    const result = await createRetryPolicy(settings({ attemptTimeoutMs: 20 }), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: isTransientFetchError,
      deadline: START + 60_000,
    });
    // Assess
    expect(result).toEqual({ answer: { status: 200 }, attempts: 2, exhausted: false });
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toMatchObject({ name: "TimeoutError" });
  });

  it("throws RetriesExhaustedError with the last error as cause when errors use up the attempts", async () => {
    // Prepare
    const { env } = fakeEnvironment();
    const last = networkError("ECONNREFUSED");
    const { attempt } = scripted<{ status: number }>([networkError(), networkError(), last]);
    // Act
    const run = createRetryPolicy(settings({ maxAttempts: 3 }), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: isTransientFetchError,
      deadline: START + 60_000,
    });
    // Assess
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 3, message: expect.stringContaining("ECONNREFUSED") });
    expect((error as Error).cause).toBe(last);
  });

  it("rethrows an error that is not retryable, after one attempt", async () => {
    const { env } = fakeEnvironment();
    const bug = new RangeError("bad input");
    const { attempt, calls } = scripted<{ status: number }>([bug, { status: 200 }]);
    const run = createRetryPolicy(settings(), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: isTransientFetchError,
      deadline: START + 60_000,
    });
    await expect(run).rejects.toBe(bug);
    expect(calls).toEqual([1]);
  });

  it("stops when the caller's signal aborts, without retrying", async () => {
    // Prepare
    const { env } = fakeEnvironment();
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    let calls = 0;
    const attempt = async (): Promise<{ status: number }> => {
      calls++;
      controller.abort(reason);
      throw controller.signal.reason;
    };
    // Act
    const run = createRetryPolicy(settings(), env).run({
      attempt,
      judge: judgeStatus,
      isRetryableError: () => true,
      deadline: START + 60_000,
      signal: controller.signal,
    });
    // Assess
    await expect(run).rejects.toBe(reason);
    expect(calls).toBe(1);
  });
});

describe("isRetryableStatus", () => {
  it.each([429, 500, 502, 503, 504])("retries %i", (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([200, 400, 401, 403, 404, 409, 422])("does not retry %i", (status) =>
    expect(isRetryableStatus(status)).toBe(false),
  );
});

describe("isTransientFetchError", () => {
  it("recognises network failures and timeouts", () => {
    expect(isTransientFetchError(networkError())).toBe(true);
    expect(isTransientFetchError(new DOMException("timed out", "TimeoutError"))).toBe(true);
    expect(isTransientFetchError(new DOMException("aborted", "AbortError"))).toBe(true);
    // undici's error for a body cut off while it was being read
    expect(isTransientFetchError(new TypeError("terminated"))).toBe(true);
  });

  it("rejects everything else", () => {
    expect(isTransientFetchError(new TypeError("Invalid URL"))).toBe(false);
    expect(isTransientFetchError(new Error("fetch failed"))).toBe(false);
    expect(isTransientFetchError("fetch failed")).toBe(false);
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("2", START)).toBe(2_000);
    expect(parseRetryAfter(" 0 ", START)).toBe(0);
  });

  it("reads an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter(new Date(START + 10_000).toUTCString(), START)).toBe(10_000);
    expect(parseRetryAfter(new Date(START - 10_000).toUTCString(), START)).toBe(0);
  });

  it("ignores absent or unreadable values", () => {
    expect(parseRetryAfter(null, START)).toBeUndefined();
    expect(parseRetryAfter(undefined, START)).toBeUndefined();
    expect(parseRetryAfter("", START)).toBeUndefined();
    expect(parseRetryAfter("soon", START)).toBeUndefined();
  });
});

describe("createRetryPolicy().run: admitting each attempt (the shared upstream budget)", () => {
  it("admits every attempt, retries included, after the backoff and before the attempt is sent", async () => {
    // Prepare
    const { env } = fakeEnvironment([0.5]);
    const order: string[] = [];
    const policy = createRetryPolicy(settings(), {
      ...env,
      sleep: async (ms) => void order.push(`sleep ${ms}`),
    });

    // Act
    const result = await policy.run({
      admit: async (attempt) => void order.push(`admit ${attempt}`),
      attempt: async (attempt) => {
        order.push(`send ${attempt}`);
        return { status: attempt < 3 ? 503 : 200 };
      },
      judge: judgeStatus,
      isRetryableError: () => false,
      deadline: START + 60_000,
    });

    // Assess
    expect(result.attempts).toBe(3);
    expect(order).toEqual([
      "admit 1",
      "send 1",
      "sleep 50",
      "admit 2",
      "send 2",
      "sleep 100",
      "admit 3",
      "send 3",
    ]);
  });

  it("ends the run with what admit throws, as it is: not retried, not wrapped, nothing sent", async () => {
    // Prepare: the budget refuses the second attempt.
    const { env } = fakeEnvironment();
    const refusal = new Error("budget spent");
    const { attempt, calls } = scripted([{ status: 503 }, { status: 200 }]);

    // Act
    const failure = await createRetryPolicy(settings(), env)
      .run({
        admit: async (n) => {
          if (n === 2) throw refusal;
        },
        attempt,
        judge: judgeStatus,
        isRetryableError: () => true,
        deadline: START + 60_000,
      })
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBe(refusal);
    expect(calls).toEqual([1]);
  });
});

/**
 * What an upstream announces about its own limit is honoured by the container that heard
 * it: after a 429 (its Retry-After) or `X-RateLimit-Remaining: 0` (until the reset), no
 * request is sent to that client; a later answer with requests left lifts it; a garbled
 * or huge announcement blocks for one window at most.
 */
import { describe, expect, it } from "vitest";
import { SharedUpstreamBudget } from "#adapters/budget/shared-upstream-budget.ts";
import { UpstreamRateLimitedError } from "#core/errors.ts";
import { MemoryRingStore } from "#test/support/memory-ring-store.ts";

const T0 = 1_772_019_000_000;
const WINDOW_MS = 61_000;

const setup = () => {
  const clock = { now: T0, sleeps: [] as number[] };
  const store = new MemoryRingStore();
  const rateLimited: string[] = [];
  const budget = new SharedUpstreamBudget({
    store,
    perMinute: { a55: 100, "procure-core": 100 },
    backgroundShare: 0.5,
    marginMs: 1_000,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      clock.now += ms;
    },
    random: () => 0,
    onUpstreamRateLimited: (upstream) => rateLimited.push(upstream),
  });
  const answer = (status: number, headers: Record<string, string>) =>
    budget.observe({ upstream: "a55", client: "c", status, headers: new Headers(headers) });
  const take = (priority: "interactive" | "background", deadline = clock.now + 120_000) =>
    budget.take({ upstream: "a55", client: "c", priority, deadline });
  return { clock, store, budget, answer, take, rateLimited };
};

const refusalOf = async (attempt: Promise<void>) => {
  const error = await attempt.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof UpstreamRateLimitedError))
    throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
};

describe("announced limits", () => {
  it("after a 429 with Retry-After, interactive work is refused at once (source upstream) and background work waits it out", async () => {
    // Prepare
    const { clock, store, answer, take, rateLimited } = setup();
    answer(429, { "retry-after": "20" });

    // Act
    const refused = await refusalOf(take("interactive"));
    const operationsBefore = store.operations;
    await take("background");

    // Assess
    expect(refused).toMatchObject({ source: "upstream", retryAfterSeconds: 20 });
    expect(clock.sleeps).toEqual([20_000]);
    expect(store.operations - operationsBefore).toBeGreaterThanOrEqual(1);
    expect(rateLimited).toEqual(["a55"]);
  });

  it("X-RateLimit-Remaining: 0 blocks until the announced reset; a later answer with requests left lifts it", async () => {
    // Prepare
    const { clock, answer, take } = setup();
    answer(200, {
      "x-ratelimit-limit": "100",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String((T0 + 10_000) / 1000),
    });

    // Act
    const refused = await refusalOf(take("interactive"));
    answer(200, { "x-ratelimit-limit": "100", "x-ratelimit-remaining": "5", "x-ratelimit-reset": "30" });
    await take("interactive");

    // Assess
    expect(refused.retryAfterSeconds).toBe(10);
    expect(clock.sleeps).toEqual([]);
  });

  it("background work is refused at once when the announced wait ends past its deadline", async () => {
    // Prepare
    const { clock, answer, take } = setup();
    answer(429, { "retry-after": "30" });

    // Act
    const refused = await refusalOf(take("background", clock.now + 10_000));

    // Assess
    expect(refused).toMatchObject({ source: "upstream", retryAfterSeconds: 30 });
    expect(clock.sleeps).toEqual([]);
  });

  it("never blocks for longer than one window, whatever is announced", async () => {
    // Prepare: an hour.
    const { answer, take } = setup();
    answer(429, { "retry-after": "3600" });

    // Act
    const refused = await refusalOf(take("interactive"));

    // Assess
    expect(refused.retryAfterSeconds).toBe(WINDOW_MS / 1000);
  });

  it("a 429 that names no time blocks for a second", async () => {
    const { answer, take } = setup();
    answer(429, {});

    expect((await refusalOf(take("interactive"))).retryAfterSeconds).toBe(1);
  });
});

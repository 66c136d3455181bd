/**
 * The A55 sandbox's rate limit: 100 requests per minute per client, fixed window anchored
 * at the client's first request, announced by X-RateLimit-* and refused with 429 +
 * Retry-After.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type RunningA55Sandbox, startA55Sandbox } from "#local/sandboxes/a55/a55-sandbox.ts";
import {
  A55_DEMO_CHARGES,
  A55_DEMO_OAUTH_CLIENT,
  A55_DEMO_STATIC_TOKEN,
  A55_DEMO_WALLET,
} from "#local/sandboxes/a55/demo-charges.ts";
import { FixedWindowRateLimiter, rateLimitHeaders } from "#local/sandboxes/rate-limiter.ts";

const T0 = 1_750_000_000_500; // half a second into an epoch second, so rounding shows

describe("FixedWindowRateLimiter", () => {
  it("lets 100 requests through, refuses the 101st until the window ends", () => {
    // Prepare
    let now = T0;
    const limiter = new FixedWindowRateLimiter({ limit: 100, now: () => now });

    // Act
    const passed = Array.from({ length: 100 }, () => limiter.take("client-a"));
    now += 20_000;
    const refused = limiter.take("client-a");

    // Assess
    expect(passed.every((d) => d.allowed)).toBe(true);
    expect(passed.map((d) => d.remaining)).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    expect(refused).toEqual({
      allowed: false,
      limit: 100,
      remaining: 0,
      resetAtMs: T0 + 60_000,
      retryAfterSeconds: 40,
    });
  });

  it("opens a new window at the end of the old one", () => {
    let now = T0;
    const limiter = new FixedWindowRateLimiter({ limit: 2, now: () => now });
    limiter.take("c");
    limiter.take("c");
    expect(limiter.take("c").allowed).toBe(false);

    now = T0 + 59_999;
    expect(limiter.take("c")).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    now = T0 + 60_000;
    expect(limiter.take("c")).toMatchObject({ allowed: true, remaining: 1, resetAtMs: T0 + 120_000 });
  });

  it("counts each client apart, and refused requests not at all", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 1, now: () => T0 });
    limiter.take("a");
    limiter.take("a");
    limiter.take("a");

    expect(limiter.take("b").allowed).toBe(true);
    expect(limiter.peek("a")).toMatchObject({ allowed: false, remaining: 0 });
  });

  it("peek does not count", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 1, now: () => T0 });

    limiter.peek("a");
    limiter.peek("a");

    expect(limiter.take("a").allowed).toBe(true);
  });

  it("a limit of 0 disables it and announces nothing", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 0, now: () => T0 });

    const decisions = Array.from({ length: 500 }, () => limiter.take("a"));

    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(rateLimitHeaders(decisions[0] as (typeof decisions)[number])).toEqual({});
  });

  it("renders the headers with Reset in epoch seconds", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 100, now: () => T0 });

    expect(rateLimitHeaders(limiter.take("a"))).toEqual({
      "X-RateLimit-Limit": "100",
      "X-RateLimit-Remaining": "99",
      "X-RateLimit-Reset": String(Math.ceil((T0 + 60_000) / 1000)),
    });
  });
});

describe("A55 sandbox rate limit over HTTP", () => {
  let sandbox: RunningA55Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  /** One cancel of the settled demo charge (409 while allowed: no state changes), body read. */
  const cancel = async (url: string, token: string) => {
    const response = await fetch(
      `${url}/api/v1/bank/wallet/charge/${A55_DEMO_CHARGES.settled}/cancel/${A55_DEMO_WALLET}/`,
      {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: "{}",
      },
    );
    return { status: response.status, headers: response.headers, json: (await response.json()) as unknown };
  };

  it("the 101st request in a minute is a 429 with Retry-After; every answer carries the headers", async () => {
    // Prepare
    let now = T0;
    sandbox = await startA55Sandbox({ now: () => now });
    const reset = String(Math.ceil((T0 + 60_000) / 1000));

    // Act
    const answers: Awaited<ReturnType<typeof cancel>>[] = [];
    for (let i = 0; i < 100; i++) {
      answers.push(await cancel(sandbox.url, A55_DEMO_STATIC_TOKEN));
      now += 100;
    }
    now = T0 + 30_000;
    const refused = await cancel(sandbox.url, A55_DEMO_STATIC_TOKEN);

    // Assess
    expect(answers.map((r) => r.status)).toEqual(Array(100).fill(409));
    expect(answers.map((r) => r.headers.get("x-ratelimit-remaining"))).toEqual(
      Array.from({ length: 100 }, (_, i) => String(99 - i)),
    );
    expect(answers.every((r) => r.headers.get("x-ratelimit-limit") === "100")).toBe(true);
    expect(answers.every((r) => r.headers.get("x-ratelimit-reset") === reset)).toBe(true);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(refused.headers.get("x-ratelimit-limit")).toBe("100");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset")).toBe(reset);
    expect(refused.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(refused.json).toEqual({
      charge_uuid: A55_DEMO_CHARGES.settled,
      status: "error",
      message: [{ code: "RATE_LIMITED", source: "rate_limit", description: expect.any(String) }],
    });
  });

  it("another client keeps its own budget, and the window reopens after a minute", async () => {
    // Prepare
    let now = T0;
    sandbox = await startA55Sandbox({ now: () => now, rateLimitPerMinute: 2 });
    const oauthToken = sandbox.tokens.issue(A55_DEMO_OAUTH_CLIENT.clientId);
    await cancel(sandbox.url, A55_DEMO_STATIC_TOKEN);
    await cancel(sandbox.url, A55_DEMO_STATIC_TOKEN);

    // Act
    const refused = await cancel(sandbox.url, A55_DEMO_STATIC_TOKEN);
    const otherClient = await cancel(sandbox.url, oauthToken);
    now = T0 + 60_000;
    const reopened = await cancel(sandbox.url, A55_DEMO_STATIC_TOKEN);

    // Assess
    expect(refused.status).toBe(429);
    expect(otherClient.status).toBe(409);
    expect(otherClient.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(reopened.status).toBe(409);
    expect(reopened.headers.get("x-ratelimit-remaining")).toBe("1");
  });

  it("a limit of 0 never refuses", async () => {
    sandbox = await startA55Sandbox({ now: () => T0, rateLimitPerMinute: 0 });

    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) statuses.push((await cancel(sandbox.url, A55_DEMO_STATIC_TOKEN)).status);

    expect(new Set(statuses)).toEqual(new Set([409]));
  });
});

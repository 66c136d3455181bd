/**
 * The Procure-Core sandbox's optional per-app rate limit (the seed publishes none), and the
 * client reading what it announces into `meta.rateLimit` (the shared upstream budget reads
 * the same headers: test/unit/budget/announced-limits.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { UpstreamRetryEvent } from "#adapters/http/exchange-types.ts";
import { createRetryPolicy } from "#adapters/http/retry-policy.ts";
import { ProcureCoreClient } from "#adapters/procure-core/procure-core-client.ts";
import {
  DEFAULT_DEMO_SECRET,
  DEFAULT_OTHER_APP_SECRET,
  DEMO_APP_ID,
  OTHER_APP_ID,
} from "#local/sandboxes/procure-core/demo-intents.ts";
import {
  type RunningProcureCoreSandbox,
  startProcureCoreSandbox,
} from "#local/sandboxes/procure-core/procure-core-sandbox.ts";

/** Half a second into an epoch second, so the rounding of `X-RateLimit-Reset` shows. */
const START = 1_772_019_000_500;
const MINUTE = 60_000;

let clock = START;
let sandbox: RunningProcureCoreSandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const start = async (rateLimitPerMinute?: number): Promise<RunningProcureCoreSandbox> => {
  clock = START;
  sandbox = await startProcureCoreSandbox({
    now: () => clock,
    ...(rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute }),
  });
  return sandbox;
};

/** A client on the sandbox's clock whose retry waits move that clock instead of sleeping. */
const clientOf = (
  running: RunningProcureCoreSandbox,
  app = { appId: DEMO_APP_ID, secret: DEFAULT_DEMO_SECRET },
) => {
  const retries: UpstreamRetryEvent[] = [];
  const credentials = { baseUrl: running.url, appId: app.appId, appSecret: app.secret };
  const client = new ProcureCoreClient({
    credentials: { get: async () => credentials, refresh: async () => credentials },
    retryPolicy: createRetryPolicy(
      { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 4_000, attemptTimeoutMs: 2_000 },
      {
        now: () => clock,
        random: () => 0.5,
        sleep: async (ms) => {
          clock += ms;
        },
      },
    ),
    now: () => clock,
    onRetry: (event) => retries.push(event),
  });
  return { client, retries };
};

const deadline = () => clock + 10 * MINUTE;

describe("Procure-Core sandbox rate limit", () => {
  it("is off by default: no X-RateLimit headers, no meta.rateLimit", async () => {
    // Prepare
    const running = await start();
    const { client } = clientOf(running);

    // Act
    const results = [];
    for (const id of ["intent_expired_0001", "intent_expired_0002", "intent_expired_0003"]) {
      results.push(await client.cancelIntent(id, { deadline: deadline() }));
    }

    // Assess
    expect(results.map((result) => result.kind)).toEqual(["accepted", "accepted", "accepted"]);
    expect(results.map((result) => result.meta.rateLimit)).toEqual([undefined, undefined, undefined]);
    expect(running.rateLimit.refused).toBe(0);
    expect(running.rateLimit.peakPerMinute()).toBe(0);
  });

  it("announces the app's budget on every answer, and the client reads it into meta.rateLimit", async () => {
    // Prepare
    const running = await start(3);
    const { client } = clientOf(running);
    const resetAt = Math.ceil((START + MINUTE) / 1000) * 1000;

    // Act
    const first = await client.cancelIntent("intent_expired_0001", { deadline: deadline() });
    clock += 1_000;
    const missing = await client.cancelIntent("intent_unknown", { deadline: deadline() });
    const listed = await client.getIntent("intent_expired_0001", { deadline: deadline() });

    // Assess
    expect(first).toMatchObject({
      kind: "accepted",
      meta: { rateLimit: { limit: 3, remaining: 2, resetAt } },
    });
    expect(missing).toMatchObject({
      kind: "not-found",
      meta: { rateLimit: { limit: 3, remaining: 1, resetAt } },
    });
    expect(listed).toMatchObject({ kind: "found", meta: { rateLimit: { limit: 3, remaining: 0, resetAt } } });
  });

  it("refuses one request over the limit with 429 + Retry-After until the window ends; the client waits and succeeds", async () => {
    // Prepare
    const running = await start(2);
    const { client, retries } = clientOf(running);
    await client.cancelIntent("intent_expired_0001", { deadline: deadline() });
    await client.cancelIntent("intent_expired_0002", { deadline: deadline() });

    // Act
    const third = await client.cancelIntent("intent_expired_0003", { deadline: deadline() });

    // Assess
    expect(retries).toEqual([
      {
        upstream: "procure-core",
        operation: "cancelIntent",
        attempt: 1,
        reason: "HTTP 429 code 42900",
        delayMs: MINUTE,
      },
    ]);
    expect(third).toMatchObject({
      kind: "accepted",
      meta: { attempts: 2, rateLimit: { limit: 2, remaining: 1 } },
    });
    expect(running.rateLimit.refused).toBe(1);
    expect(running.rateLimit.peakPerMinute(DEMO_APP_ID)).toBe(3);
    expect(running.effects.total()).toBe(3);
  });

  it("keeps a budget per app", async () => {
    // Prepare
    const running = await start(1);
    const demo = clientOf(running).client;
    const other = clientOf(running, { appId: OTHER_APP_ID, secret: DEFAULT_OTHER_APP_SECRET }).client;

    // Act
    const mine = await demo.cancelIntent("intent_expired_0001", { deadline: deadline() });
    const theirs = await other.cancelIntent("intent_other_app", { deadline: deadline() });

    // Assess
    expect(mine).toMatchObject({ kind: "accepted", meta: { attempts: 1, rateLimit: { remaining: 0 } } });
    expect(theirs).toMatchObject({ kind: "accepted", meta: { attempts: 1, rateLimit: { remaining: 0 } } });
    expect(running.rateLimit.refused).toBe(0);
    expect(running.rateLimit.peakPerMinute()).toBe(1);
  });

  it("measures the peak over a sliding minute, refused requests included", async () => {
    // Prepare
    const running = await start(100);
    const { client } = clientOf(running);

    // Act: 2 requests, then 2 more 50 s later (4 within one minute), then 1 after the first two left it.
    await client.getIntent("intent_67890", { deadline: deadline() });
    await client.getIntent("intent_67890", { deadline: deadline() });
    clock += 50_000;
    await client.getIntent("intent_67890", { deadline: deadline() });
    await client.getIntent("intent_67890", { deadline: deadline() });
    clock += 10_001;
    await client.getIntent("intent_67890", { deadline: deadline() });

    // Assess
    expect(running.rateLimit.peakPerMinute(DEMO_APP_ID)).toBe(4);
    expect(running.rateLimit.peakPerMinute(OTHER_APP_ID)).toBe(0);
  });
});

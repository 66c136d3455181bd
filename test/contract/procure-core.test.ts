/**
 * The Procure-Core client against the Procure-Core sandbox: every row of seed 000's
 * response and error tables, every row of its cancel state table, the read and list
 * routes the seed's usage section relies on, authentication, retries and answers outside
 * the contract.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CallEvent, UpstreamRetryEvent } from "#adapters/http/exchange-types.ts";
import { computeSignature, UnsignablePathError } from "#adapters/http/request-signature.ts";
import { createRetryPolicy, type RetryEnvironment, type RetrySettings } from "#adapters/http/retry-policy.ts";
import { ProcureCoreClient } from "#adapters/procure-core/procure-core-client.ts";
import type { ProcureCoreCredentials } from "#adapters/procure-core/procure-core-upstream.ts";
import { UpstreamAuthError, UpstreamError, ValidationError } from "#core/errors.ts";
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

/** The seed's example times: 2026-02-25T11:30:00.000Z. */
const START = Date.parse("2026-02-25T11:30:00.000Z");
const iso = (ms: number): string => new Date(ms).toISOString();
const MINUTE = 60_000;
const DELAY_MS = 2_000;

let clock = START;
let sandbox: RunningProcureCoreSandbox;

beforeEach(async () => {
  clock = START;
  sandbox = await startProcureCoreSandbox({ now: () => clock, processingCancelDelayMs: DELAY_MS });
});

afterEach(async () => {
  await sandbox.close();
});

interface HarnessOptions {
  secret?: string;
  /** What `refresh()` returns; defaults to the same secret as `get()`. */
  refreshSecret?: string;
  fetch?: typeof fetch;
  settings?: Partial<RetrySettings>;
  onRetry?: (event: UpstreamRetryEvent) => void;
}

/** A client on the sandbox's clock, whose retry waits are recorded instead of slept. */
const harness = (options: HarnessOptions = {}) => {
  const credentialReads = { get: 0, refresh: 0 };
  const credentials = (secret: string): ProcureCoreCredentials => ({
    baseUrl: sandbox.url,
    appId: DEMO_APP_ID,
    appSecret: secret,
  });
  const sleeps: number[] = [];
  const retries: UpstreamRetryEvent[] = [];
  const calls: CallEvent[] = [];
  let fetches = 0;
  const env: RetryEnvironment = {
    now: () => clock,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  const innerFetch = options.fetch ?? fetch;
  const client = new ProcureCoreClient({
    credentials: {
      get: async () => {
        credentialReads.get++;
        return credentials(options.secret ?? DEFAULT_DEMO_SECRET);
      },
      refresh: async () => {
        credentialReads.refresh++;
        return credentials(options.refreshSecret ?? options.secret ?? DEFAULT_DEMO_SECRET);
      },
    },
    retryPolicy: createRetryPolicy(
      { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 4_000, attemptTimeoutMs: 2_000, ...options.settings },
      env,
    ),
    fetch: (input, init) => {
      fetches++;
      return innerFetch(input, init);
    },
    now: () => clock,
    onRetry: (event) => {
      retries.push(event);
      options.onRetry?.(event);
    },
    onCall: (event) => calls.push(event),
  });
  return { client, sleeps, retries, calls, credentialReads, fetches: () => fetches };
};

/** A hand-made request to the sandbox, signed unless told otherwise. */
const raw = async (
  method: string,
  pathAndQuery: string,
  options: {
    body?: string;
    appId?: string;
    secret?: string;
    timestamp?: number;
    omit?: string;
    signature?: string;
  } = {},
) => {
  const body = options.body ?? "";
  const timestamp = String(options.timestamp ?? clock);
  const sign = (): string => {
    try {
      return computeSignature(options.secret ?? DEFAULT_DEMO_SECRET, {
        method,
        pathAndQuery,
        timestamp,
        body,
      });
    } catch (error) {
      // A path with no canonical form (docs/signing.md) cannot be signed: send one that cannot match.
      if (error instanceof UnsignablePathError) return "0".repeat(64);
      throw error;
    }
  };
  const headers: Record<string, string> = {
    "x-app-id": options.appId ?? DEMO_APP_ID,
    "x-timestamp": timestamp,
    "x-signature": options.signature ?? sign(),
  };
  if (options.omit) delete headers[options.omit];
  const response = await fetch(`${sandbox.url}${pathAndQuery}`, {
    method,
    headers,
    ...(body ? { body } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as unknown };
};

/** Replaces the sandbox's answer body (a gateway page, a foreign JSON) after the sandbox saw the request. */
const rewritingFetch =
  (status: number, body: string, contentType = "text/html"): typeof fetch =>
  async (input, init) => {
    await (await fetch(input, init)).text();
    return new Response(body, { status, headers: { "content-type": contentType } });
  };

const ok = (meta: Record<string, unknown> = {}) => ({
  httpStatus: 200,
  code: 0,
  message: "操作成功",
  latencyMs: 0,
  attempts: 1,
  ...meta,
});

describe("cancelIntent — the seed's response and error tables", () => {
  it("code 0: cancels a SUBMITTED intent and answers the documented body", async () => {
    // Prepare
    const { client } = harness();
    // Act
    const result = await client.cancelIntent("intent_67890");
    // Assess
    expect(result).toEqual({
      kind: "accepted",
      intent: {
        id: "intent_67890",
        status: "CANCELLED",
        updatedAt: "2026-02-25T11:30:00.000Z",
        cancelledAt: "2026-02-25T11:30:00.000Z",
      },
      meta: ok(),
    });
    expect(sandbox.effects.count("intent_67890")).toBe(1);
    expect(sandbox.intents.get("intent_67890")?.status).toBe("CANCELLED");
  });

  it("40401: an unknown intent is not-found", async () => {
    const { client } = harness();
    const result = await client.cancelIntent("intent_does_not_exist");
    expect(result).toEqual({
      kind: "not-found",
      message: "采购意图不存在",
      meta: ok({ httpStatus: 404, code: 40401, message: "采购意图不存在" }),
    });
    expect(sandbox.effects.total()).toBe(0);
  });

  it("40003: a COMPLETED intent is not-cancellable with the seed's reason", async () => {
    const { client } = harness();
    const result = await client.cancelIntent("intent_completed");
    expect(result).toEqual({
      kind: "not-cancellable",
      currentStatus: "COMPLETED",
      reason: "已完成的订单不能取消",
      meta: ok({ httpStatus: 400, code: 40003, message: "当前状态不允许取消" }),
    });
    expect(sandbox.effects.total()).toBe(0);
  });

  it("40301: another app's intent is forbidden and stays as it was", async () => {
    const { client } = harness();
    const result = await client.cancelIntent("intent_other_app");
    expect(result).toEqual({
      kind: "forbidden",
      message: "无权访问该资源",
      meta: ok({ httpStatus: 403, code: 40301, message: "无权访问该资源" }),
    });
    expect(sandbox.intents.get("intent_other_app")?.status).toBe("SUBMITTED");
    expect(sandbox.effects.total()).toBe(0);
  });

  it("50003: a shipped PROCESSING intent is cancel-failed at once, without retrying the HTTP 500", async () => {
    // Prepare
    const { client, sleeps } = harness();
    // Act
    const result = await client.cancelIntent("intent_shipped");
    // Assess
    expect(result).toEqual({
      kind: "cancel-failed",
      reason: "电商平台订单已发货,无法取消",
      meta: ok({ httpStatus: 500, code: 50003, message: "取消操作失败" }),
    });
    expect(sandbox.requests.count()).toBe(1);
    expect(sleeps).toEqual([]);
    expect(sandbox.intents.get("intent_shipped")?.status).toBe("PROCESSING");
    expect(sandbox.effects.total()).toBe(0);
  });
});

describe("cancelIntent — the seed's cancel state table", () => {
  it.each([
    ["DRAFT", "intent_draft", "草稿状态不能取消,请直接删除"],
    ["COMPLETED", "intent_completed", "已完成的订单不能取消"],
    ["FAILED", "intent_failed", "已失败的订单不需要取消"],
    ["CANCELLED", "intent_cancelled", "已取消的订单不能重复取消"],
  ])("%s cannot be cancelled", async (status, id, reason) => {
    const { client } = harness();
    const result = await client.cancelIntent(id);
    expect(result).toMatchObject({ kind: "not-cancellable", currentStatus: status, reason });
    expect(sandbox.intents.get(id)?.status).toBe(status);
    expect(sandbox.effects.total()).toBe(0);
  });

  it("SUBMITTED becomes CANCELLED at once; a second cancel is 40003 CANCELLED and no new effect", async () => {
    // Prepare
    const { client } = harness();
    await client.cancelIntent("intent_67890");
    clock += MINUTE;
    // Act
    const again = await client.cancelIntent("intent_67890");
    // Assess
    expect(again).toMatchObject({ kind: "not-cancellable", currentStatus: "CANCELLED" });
    expect(sandbox.effects.count("intent_67890")).toBe(1);
  });

  it("PROCESSING is accepted asynchronously and reads CANCELLED once the delay has passed", async () => {
    // Prepare
    const { client } = harness();
    // Act: accept
    const accepted = await client.cancelIntent("intent_processing");
    // Assess
    const pending = {
      id: "intent_processing",
      status: "PROCESSING",
      updatedAt: iso(START),
      cancelledAt: null,
    };
    expect(accepted).toEqual({ kind: "accepted", intent: pending, meta: ok() });
    expect(sandbox.effects.count("intent_processing")).toBe(1);

    // Act: a repeated cancel while pending
    clock += DELAY_MS - 1;
    const repeated = await client.cancelIntent("intent_processing");
    const stillProcessing = await client.getIntent("intent_processing");
    // Assess: same body, no new effect
    expect(repeated).toEqual({ kind: "accepted", intent: pending, meta: ok() });
    expect(sandbox.effects.count("intent_processing")).toBe(1);
    expect(stillProcessing).toMatchObject({
      kind: "found",
      intent: { status: "PROCESSING", cancelledAt: null },
    });

    // Act: the delay passes
    clock += 1;
    const done = await client.getIntent("intent_processing");
    const afterwards = await client.cancelIntent("intent_processing");
    // Assess
    expect(done).toMatchObject({
      kind: "found",
      intent: { status: "CANCELLED", updatedAt: iso(START + DELAY_MS), cancelledAt: iso(START + DELAY_MS) },
    });
    expect(afterwards).toMatchObject({ kind: "not-cancellable", currentStatus: "CANCELLED" });
    expect(sandbox.effects.count("intent_processing")).toBe(1);
  });

  it("a pending PROCESSING cancel shows up as CANCELLED in the listing after the delay", async () => {
    const { client } = harness();
    await client.cancelIntent("intent_processing");
    expect((await client.listIntents({ status: "PROCESSING" })).items.map((i) => i.id)).toContain(
      "intent_processing",
    );
    clock += DELAY_MS;
    const cancelled = await client.listIntents({ status: "CANCELLED" });
    expect(cancelled.items.map((i) => i.id)).toContain("intent_processing");
  });
});

describe("getIntent", () => {
  it("reads an intent with its createdAt", async () => {
    const { client } = harness();
    const result = await client.getIntent("intent_67890");
    expect(result).toEqual({
      kind: "found",
      intent: {
        id: "intent_67890",
        status: "SUBMITTED",
        createdAt: iso(START - 5 * MINUTE),
        updatedAt: iso(START - 5 * MINUTE),
        cancelledAt: null,
      },
      meta: ok(),
    });
  });

  it("40401 and 40301 are not-found and forbidden", async () => {
    const { client } = harness();
    expect(await client.getIntent("intent_nope")).toMatchObject({
      kind: "not-found",
      message: "采购意图不存在",
    });
    expect(await client.getIntent("intent_other_app")).toMatchObject({
      kind: "forbidden",
      message: "无权访问该资源",
    });
  });

  it("the owning app can read intent_other_app", async () => {
    const other = new ProcureCoreClient({
      credentials: {
        get: async () => ({ baseUrl: sandbox.url, appId: OTHER_APP_ID, appSecret: DEFAULT_OTHER_APP_SECRET }),
        refresh: async () => ({
          baseUrl: sandbox.url,
          appId: OTHER_APP_ID,
          appSecret: DEFAULT_OTHER_APP_SECRET,
        }),
      },
      now: () => clock,
    });
    expect(await other.getIntent("intent_other_app")).toMatchObject({
      kind: "found",
      intent: { status: "SUBMITTED" },
    });
  });
});

describe("listIntents", () => {
  it("lists only the caller's intents with the status asked for, oldest first", async () => {
    // Prepare
    const { client } = harness();
    // Act
    const page = await client.listIntents({ status: "SUBMITTED", sortBy: "createdAt", order: "asc" });
    // Assess
    const ids = page.items.map((item) => item.id);
    expect(page).toMatchObject({ total: 21, page: 1, pageSize: 20 });
    expect(ids).toHaveLength(20);
    expect(ids[0]).toBe("intent_expired_0001");
    expect(ids).not.toContain("intent_other_app");
    expect(page.items.every((item) => item.status === "SUBMITTED")).toBe(true);
    const times = page.items.map((item) => Date.parse(item.createdAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
    const oldest = Date.parse(page.items[0]?.createdAt ?? "");
    expect(START - oldest).toBeGreaterThanOrEqual(2 * 24 * 60 * MINUTE);
    expect(START - oldest).toBeLessThanOrEqual(3 * 24 * 60 * MINUTE);
  });

  it("orders newest first with order=desc, the exact reverse of asc", async () => {
    const { client } = harness();
    const asc = await client.listIntents({ status: "SUBMITTED", order: "asc", pageSize: 100 });
    const desc = await client.listIntents({ status: "SUBMITTED", order: "desc", pageSize: 100 });
    expect(desc.items.map((i) => i.id)).toEqual(asc.items.map((i) => i.id).reverse());
    expect(desc.items[0]?.id).toBe("intent_67890");
  });

  it("pages without overlap or gaps", async () => {
    // Prepare
    const { client } = harness();
    const all = await client.listIntents({ order: "asc", pageSize: 100 });
    // Act
    const pages = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((page) => client.listIntents({ order: "asc", page, pageSize: 5 })),
    );
    // Assess: 7 demo intents + 20 expired of dev_app_local
    expect(all.total).toBe(27);
    expect(pages.map((p) => p.items.length)).toEqual([5, 5, 5, 5, 5, 2]);
    expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual(all.items.map((i) => i.id));
    expect(pages.every((p) => p.total === 27 && p.pageSize === 5)).toBe(true);
    const beyond = await client.listIntents({ order: "asc", page: 7, pageSize: 5 });
    expect(beyond).toEqual({ items: [], total: 27, page: 7, pageSize: 5 });
  });

  it("reflects a cancel in the status filter", async () => {
    const { client } = harness();
    await client.cancelIntent("intent_67890");
    const cancelled = await client.listIntents({ status: "CANCELLED" });
    expect(cancelled.items.map((i) => i.id).sort()).toEqual(["intent_67890", "intent_cancelled"]);
  });

  it.each([
    [{ pageSize: 101 }, "pageSize"],
    [{ pageSize: 0 }, "pageSize"],
    [{ page: 0 }, "page"],
    [{ page: 1.5 }, "page"],
    [{ status: "BOGUS" }, "status"],
    [{ order: "sideways" as "asc" }, "order"],
  ])("refuses %j before any request", async (query, field) => {
    const { client, fetches, credentialReads } = harness();
    const error = await client.listIntents(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field });
    expect(fetches()).toBe(0);
    expect(credentialReads.get).toBe(0);
    expect(sandbox.requests.count()).toBe(0);
  });

  it.each([
    "?pageSize=101",
    "?pageSize=0",
    "?page=0",
    "?page=abc",
    "?order=sideways",
    "?sortBy=updatedAt",
    "?status=BOGUS",
    "?status=SUBMITTED&status=DRAFT",
    "?limit=5",
  ])("the sandbox answers %s with a 400 envelope (code 40001)", async (query) => {
    const answer = await raw("GET", `/api/v1/intents${query}`);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      code: 40001,
      message: "请求参数错误",
      data: { detail: expect.any(String) },
    });
  });
});

describe("authentication", () => {
  it.each([
    ["x-app-id", "missing-header"],
    ["x-timestamp", "missing-header"],
    ["x-signature", "missing-header"],
  ])("without %s: 401 code 40101", async (omit, reason) => {
    const answer = await raw("POST", "/api/v1/intents/intent_67890/cancel", { omit });
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      code: 40101,
      message: "缺少签名请求头",
      data: { reason, detail: `Missing header ${omit}` },
    });
    expect(sandbox.intents.get("intent_67890")?.status).toBe("SUBMITTED");
  });

  it("a timestamp older than 5 minutes: 401 code 40102", async () => {
    const answer = await raw("POST", "/api/v1/intents/intent_67890/cancel", {
      timestamp: clock - 5 * MINUTE - 1,
    });
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: 40102, data: { reason: "stale-timestamp" } });
  });

  it("an unknown app: 401 code 40103", async () => {
    const answer = await raw("POST", "/api/v1/intents/intent_67890/cancel", { appId: "stranger" });
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: 40103, data: { reason: "unknown-app" } });
  });

  it("a wrong signature: 401 code 40104, and nothing changes", async () => {
    const answer = await raw("POST", "/api/v1/intents/intent_67890/cancel", { secret: "not_the_secret" });
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({
      code: 40104,
      message: "签名验证失败",
      data: { reason: "bad-signature" },
    });
    expect(answer.text).not.toContain(DEFAULT_DEMO_SECRET);
    expect(sandbox.intents.get("intent_67890")?.status).toBe("SUBMITTED");
    expect(sandbox.effects.total()).toBe(0);
  });

  it("the client refreshes its credentials once after a 401 and succeeds", async () => {
    // Prepare: the cached secret is stale, the refreshed one is right
    const { client, credentialReads } = harness({
      secret: "stale_secret",
      refreshSecret: DEFAULT_DEMO_SECRET,
    });
    // Act
    const result = await client.cancelIntent("intent_67890");
    // Assess
    expect(result).toMatchObject({
      kind: "accepted",
      intent: { status: "CANCELLED" },
      meta: { attempts: 2 },
    });
    expect(credentialReads).toEqual({ get: 1, refresh: 1 });
    expect(sandbox.requests.count()).toBe(2);
    expect(sandbox.effects.count("intent_67890")).toBe(1);
  });

  it("a second 401 after the refresh is UpstreamAuthError", async () => {
    // Prepare
    const { client, credentialReads, sleeps } = harness({ secret: "wrong", refreshSecret: "still_wrong" });
    // Act
    const error = await client.cancelIntent("intent_67890").catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(UpstreamAuthError);
    expect(error).toMatchObject({ retryable: false, httpStatus: 401, code: 40104, attempts: 2 });
    expect(credentialReads).toEqual({ get: 1, refresh: 1 });
    expect(sleeps).toEqual([]);
    expect(sandbox.requests.count()).toBe(2);
    expect(sandbox.intents.get("intent_67890")?.status).toBe("SUBMITTED");
  });

  it("either secret works while the app's secret is rotated", async () => {
    sandbox.apps.set(DEMO_APP_ID, [DEFAULT_DEMO_SECRET, "new_secret"]);
    expect(await harness({ secret: "new_secret" }).client.getIntent("intent_67890")).toMatchObject({
      kind: "found",
    });
    expect(await harness().client.getIntent("intent_67890")).toMatchObject({ kind: "found" });
  });
});

describe("retries", () => {
  it("retries an injected 500 and cancels exactly once", async () => {
    // Prepare: every request fails until the first retry is announced
    sandbox.faults.update({ errorRate: 1 });
    const { client, retries } = harness({ onRetry: () => sandbox.faults.update({ errorRate: 0 }) });
    // Act
    const result = await client.cancelIntent("intent_67890");
    // Assess
    expect(result).toMatchObject({
      kind: "accepted",
      intent: { status: "CANCELLED" },
      meta: { attempts: 2 },
    });
    expect(retries).toEqual([
      {
        upstream: "procure-core",
        operation: "cancelIntent",
        attempt: 1,
        reason: "HTTP 500 code 50000",
        delayMs: 50,
      },
    ]);
    expect(sandbox.effects.count("intent_67890")).toBe(1);
  });

  it("honours Retry-After on injected 429s and cancels exactly once", async () => {
    // Prepare
    sandbox.faults.update({ rateLimitBurst: 2, retryAfterSeconds: 1 });
    const { client, sleeps } = harness();
    // Act
    const result = await client.cancelIntent("intent_67890");
    // Assess: jitter alone would wait 50 and 100 ms
    expect(result).toMatchObject({ kind: "accepted", meta: { attempts: 3 } });
    expect(sleeps).toEqual([1_000, 1_000]);
    expect(sandbox.effects.count("intent_67890")).toBe(1);
  });

  it("gives up after maxAttempts with a retryable UpstreamError carrying status, code and message", async () => {
    sandbox.faults.update({ errorRate: 1 });
    const { client, calls } = harness();
    const error = await client.cancelIntent("intent_67890").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      upstream: "procure-core",
      retryable: true,
      httpStatus: 500,
      code: 50000,
      upstreamMessage: "服务器内部错误",
      attempts: 4,
    });
    expect(calls).toEqual([
      { upstream: "procure-core", operation: "cancelIntent", httpStatus: 500, latencyMs: 0, attempts: 4 },
    ]);
    expect(sandbox.effects.total()).toBe(0);
  });

  it("retries a reset connection", async () => {
    sandbox.faults.update({ resetRate: 1 });
    const { client, retries } = harness({ onRetry: () => sandbox.faults.update({ resetRate: 0 }) });
    const result = await client.cancelIntent("intent_67890");
    expect(result).toMatchObject({ kind: "accepted", meta: { attempts: 2 } });
    expect(retries[0]?.reason).toMatch(/^TypeError/);
    expect(sandbox.effects.count("intent_67890")).toBe(1);
  });

  it("retries an attempt that timed out", async () => {
    sandbox.faults.update({ hangRate: 1 });
    const { client, retries } = harness({
      settings: { attemptTimeoutMs: 200 },
      onRetry: () => sandbox.faults.update({ hangRate: 0 }),
    });
    const result = await client.getIntent("intent_67890");
    expect(result).toMatchObject({ kind: "found", meta: { attempts: 2 } });
    expect(retries[0]?.reason).toMatch(/TimeoutError/);
  });

  it("a persistent network failure ends in a retryable UpstreamError with the cause", async () => {
    sandbox.faults.update({ resetRate: 1 });
    const { client } = harness({ settings: { maxAttempts: 3 } });
    const error = await client.getIntent("intent_67890").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ retryable: true, attempts: 3, httpStatus: undefined });
    expect((error as Error).cause).toMatchObject({ name: "RetriesExhaustedError", attempts: 3 });
  });

  it("sends nothing when the deadline has already passed", async () => {
    const { client, fetches } = harness();
    const error = await client.cancelIntent("intent_67890", { deadline: clock - 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ retryable: true, attempts: 0 });
    expect(fetches()).toBe(0);
  });

  it("reports each logical call once through onCall", async () => {
    const { client, calls } = harness();
    await client.cancelIntent("intent_67890");
    await client.getIntent("intent_nope");
    await client.listIntents({});
    expect(calls).toEqual([
      { upstream: "procure-core", operation: "cancelIntent", httpStatus: 200, latencyMs: 0, attempts: 1 },
      { upstream: "procure-core", operation: "getIntent", httpStatus: 404, latencyMs: 0, attempts: 1 },
      { upstream: "procure-core", operation: "listIntents", httpStatus: 200, latencyMs: 0, attempts: 1 },
    ]);
  });
});

describe("answers outside the contract", () => {
  it("a non-JSON 200 is a non-retryable UpstreamError", async () => {
    const { client } = harness({ fetch: rewritingFetch(200, "<html>hello</html>") });
    const error = await client.getIntent("intent_67890").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ retryable: false, httpStatus: 200, code: undefined, attempts: 1 });
    expect((error as Error).message).toContain("not a {code, message, data} envelope");
  });

  it("a non-JSON 502 is retried, then a retryable UpstreamError", async () => {
    const { client } = harness({ fetch: rewritingFetch(502, "<html>Bad Gateway</html>") });
    const error = await client.cancelIntent("intent_67890").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ retryable: true, httpStatus: 502, attempts: 4 });
  });

  it("an undocumented code is an UpstreamError carrying it", async () => {
    const body = JSON.stringify({ code: 40999, message: "未知错误", data: null });
    const { client } = harness({ fetch: rewritingFetch(400, body, "application/json") });
    const error = await client.cancelIntent("intent_67890").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      retryable: false,
      httpStatus: 400,
      code: 40999,
      upstreamMessage: "未知错误",
    });
  });

  it("code 0 whose data lacks the documented fields is an UpstreamError", async () => {
    const body = JSON.stringify({ code: 0, message: "操作成功", data: { id: "intent_67890" } });
    const { client } = harness({ fetch: rewritingFetch(200, body, "application/json") });
    const error = await client.cancelIntent("intent_67890").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ retryable: false, httpStatus: 200, code: 0 });
  });
});

describe("malformed ids", () => {
  const BAD_IDS = [
    "",
    "../intent_67890",
    "a/b",
    "intent 1",
    "intent?x=1",
    "intent#1",
    "%2e%2e",
    "意图",
    "x".repeat(129),
  ];

  it.each(BAD_IDS)("cancelIntent(%j) throws ValidationError before any request", async (id) => {
    const { client, fetches, credentialReads } = harness();
    const error = await client.cancelIntent(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: "id" });
    expect(fetches()).toBe(0);
    expect(credentialReads.get).toBe(0);
    expect(sandbox.requests.count()).toBe(0);
  });

  it.each(BAD_IDS)("getIntent(%j) throws ValidationError before any request", async (id) => {
    const { client, fetches } = harness();
    await expect(client.getIntent(id)).rejects.toBeInstanceOf(ValidationError);
    expect(fetches()).toBe(0);
    expect(sandbox.requests.count()).toBe(0);
  });

  it("accepts a 128-character id (and the sandbox answers 40401)", async () => {
    const { client } = harness();
    expect(await client.getIntent("a".repeat(128))).toMatchObject({ kind: "not-found" });
  });
});

describe("the sandbox refuses malformed requests with 4xx envelopes", () => {
  it("an unknown route: 404 code 40400", async () => {
    const answer = await raw("GET", "/api/v2/intents");
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ code: 40400, message: "接口不存在", data: null });
  });

  it.each([
    ["GET", "/api/v1/intents/intent_67890/cancel", "POST"],
    ["DELETE", "/api/v1/intents/intent_67890", "GET"],
    ["POST", "/api/v1/intents", "GET"],
  ])("%s %s: 405 code 40500 with Allow", async (method, path, allow) => {
    const answer = await raw(method, path);
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe(allow);
    expect(answer.json).toMatchObject({ code: 40500, data: { allow } });
  });

  it.each(["intent%20x", "intent.x", "%E6%84%8F"])("the id %s: 400 code 40002", async (id) => {
    const answer = await raw("POST", `/api/v1/intents/${id}/cancel`);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 40002 });
  });

  it("a body that is not JSON: 400 code 40001, and nothing changes", async () => {
    const answer = await raw("POST", "/api/v1/intents/intent_67890/cancel", { body: "{not json" });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 40001 });
    expect(sandbox.effects.total()).toBe(0);
  });

  it("a JSON body is accepted (and signed over)", async () => {
    const answer = await raw("POST", "/api/v1/intents/intent_67890/cancel", {
      body: '{"reason":"用户取消"}',
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ code: 0, data: { status: "CANCELLED" } });
  });

  it("injected faults answer in the envelope", async () => {
    sandbox.faults.update({ rateLimitBurst: 1, retryAfterSeconds: 7 });
    const limited = await raw("GET", "/api/v1/intents/intent_67890");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.json).toMatchObject({ code: 42900, data: null });
    sandbox.faults.update({ errorRate: 1 });
    const failed = await raw("GET", "/api/v1/intents/intent_67890");
    expect(failed.status).toBe(500);
    expect(failed.json).toEqual({ code: 50000, message: "服务器内部错误", data: null });
  });

  it("never answers arbitrary requests with a 5xx or a non-envelope", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
        fc.array(fc.oneof(fc.constantFrom("api", "v1", "intents", "cancel", "intent_67890"), fc.string()), {
          maxLength: 6,
        }),
        fc.option(fc.string(), { nil: undefined }),
        fc.boolean(),
        async (method, segments, body, sign) => {
          const path = `/${segments.map(encodeURIComponent).join("/")}`;
          const answer = await raw(method, path, {
            ...(body === undefined || method === "GET" ? {} : { body }),
            ...(sign ? {} : { signature: "abc123" }),
          });
          expect(answer.status).toBeGreaterThanOrEqual(200);
          expect(answer.status).toBeLessThan(500);
          expect(answer.json).toMatchObject({ code: expect.any(Number), message: expect.any(String) });
        },
      ),
      { numRuns: 80, seed: 20260225 },
    );
  });
});

/**
 * Seed 000's cURL example replayed with the real `curl` against the Procure-Core sandbox:
 * the literal request (a placeholder signature and a 2024 timestamp) is refused with a
 * 401 that says why, and the same request signed properly gets the seed's documented
 * bodies, byte for byte after JSON parsing.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { computeSignature } from "#adapters/http/request-signature.ts";
import { DEFAULT_DEMO_SECRET } from "#local/sandboxes/procure-core/demo-intents.ts";
import {
  type RunningProcureCoreSandbox,
  startProcureCoreSandbox,
} from "#local/sandboxes/procure-core/procure-core-sandbox.ts";

const run = promisify(execFile);
const CURL = "/usr/bin/curl";

/** The seed's example time: its success body shows 2026-02-25T11:30:00.000Z. */
const SEED_NOW = Date.parse("2026-02-25T11:30:00.000Z");
/** The seed's literal X-Timestamp. */
const SEED_TIMESTAMP = "1708851000000";

let sandbox: RunningProcureCoreSandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const start = async (now: number): Promise<RunningProcureCoreSandbox> => {
  sandbox = await startProcureCoreSandbox({ now: () => now });
  return sandbox;
};

/**
 * The seed's command with only the host replaced:
 *   curl -X POST "https://api.procure-core.com/api/v1/intents/intent_67890/cancel" \
 *     -H "X-App-Id: dev_app_local" -H "X-Timestamp: 1708851000000" -H "X-Signature: abc123..."
 */
const curl = async (
  baseUrl: string,
  headers: { appId: string; timestamp: string; signature: string },
  intentId = "intent_67890",
): Promise<{ status: number; body: unknown }> => {
  const { stdout } = await run(CURL, [
    "--silent",
    "--show-error",
    "--max-time",
    "10",
    "-X",
    "POST",
    `${baseUrl}/api/v1/intents/${intentId}/cancel`,
    "-H",
    `X-App-Id: ${headers.appId}`,
    "-H",
    `X-Timestamp: ${headers.timestamp}`,
    "-H",
    `X-Signature: ${headers.signature}`,
    "--write-out",
    "\n%{http_code}",
  ]);
  const split = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(split + 1)), body: JSON.parse(stdout.slice(0, split)) };
};

/** The signature the seed's placeholder stands for. */
const signedHeaders = (intentId: string, timestamp: string) => ({
  appId: "dev_app_local",
  timestamp,
  signature: computeSignature(DEFAULT_DEMO_SECRET, {
    method: "POST",
    pathAndQuery: `/api/v1/intents/${intentId}/cancel`,
    timestamp,
    body: "",
  }),
});

describe("seed 000 cURL example, replayed with curl", () => {
  it("the literal request is refused: its 2024 timestamp is stale (401, 40102)", async () => {
    // Prepare
    const running = await start(SEED_NOW);
    // Act
    const answer = await curl(running.url, {
      appId: "dev_app_local",
      timestamp: SEED_TIMESTAMP,
      signature: "abc123...",
    });
    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      code: 40102,
      message: "请求时间戳无效或已过期",
      data: {
        reason: "stale-timestamp",
        detail: "X-Timestamp must be epoch milliseconds within 300 s of now",
      },
    });
    expect(running.effects.total()).toBe(0);
  });

  it("the literal request at its own time is refused: the placeholder signature is wrong (401, 40104)", async () => {
    const running = await start(Number(SEED_TIMESTAMP) + 30_000);
    const answer = await curl(running.url, {
      appId: "dev_app_local",
      timestamp: SEED_TIMESTAMP,
      signature: "abc123...",
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      code: 40104,
      message: "签名验证失败",
      data: { reason: "bad-signature", detail: "X-Signature does not match the request" },
    });
    expect(running.intents.get("intent_67890")?.status).toBe("SUBMITTED");
  });

  it("the same request signed properly gets the seed's success body", async () => {
    // Prepare
    const running = await start(SEED_NOW);
    // Act
    const answer = await curl(running.url, signedHeaders("intent_67890", String(SEED_NOW)));
    // Assess: the seed's "成功响应", verbatim
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      code: 0,
      message: "操作成功",
      data: {
        id: "intent_67890",
        status: "CANCELLED",
        updatedAt: "2026-02-25T11:30:00.000Z",
        cancelledAt: "2026-02-25T11:30:00.000Z",
      },
    });
    expect(running.effects.count("intent_67890")).toBe(1);
  });

  it("signed requests get the seed's error bodies verbatim (404, 400, 500)", async () => {
    const running = await start(SEED_NOW);
    const timestamp = String(SEED_NOW);

    const missing = await curl(running.url, signedHeaders("intent_nope", timestamp), "intent_nope");
    expect(missing).toEqual({ status: 404, body: { code: 40401, message: "采购意图不存在", data: null } });

    const completed = await curl(
      running.url,
      signedHeaders("intent_completed", timestamp),
      "intent_completed",
    );
    expect(completed).toEqual({
      status: 400,
      body: {
        code: 40003,
        message: "当前状态不允许取消",
        data: { currentStatus: "COMPLETED", reason: "已完成的订单不能取消" },
      },
    });

    const shipped = await curl(running.url, signedHeaders("intent_shipped", timestamp), "intent_shipped");
    expect(shipped).toEqual({
      status: 500,
      body: { code: 50003, message: "取消操作失败", data: { reason: "电商平台订单已发货,无法取消" } },
    });
    expect(running.effects.total()).toBe(0);
  });
});

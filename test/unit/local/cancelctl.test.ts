import { channel } from "node:diagnostics_channel";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { verifySignature } from "#adapters/http/request-signature.ts";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import { SWEEP_PROGRESS_CHANNEL } from "#local/stack/sweep-messages.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";

const APP = { id: "dev_app_local", secret: "s3cret" };
const TOKEN = "client-token";

interface Run {
  code: number;
  out: string;
  err: string;
}

describe("cancelctl", () => {
  let door: RunningFrontDoor | undefined;
  const seen: APIGatewayProxyEventV2[] = [];
  afterEach(async () => {
    await door?.close();
    door = undefined;
    seen.length = 0;
  });

  /** A front door whose HTTP handler checks signatures and bearer tokens as the service does, then answers `reply`. */
  const start = async (
    reply: (event: APIGatewayProxyEventV2) => APIGatewayProxyStructuredResultV2,
    sweep: () => Promise<unknown> = async () => ({}),
  ): Promise<string> => {
    door = await startTestFrontDoor({
      http: async (event: APIGatewayProxyEventV2) => {
        seen.push(event);
        if (event.headers.authorization !== undefined) {
          if (event.headers.authorization !== `Bearer ${TOKEN}`) return { statusCode: 401, body: "{}" };
        } else {
          const verdict = verifySignature({
            header: (name) => event.headers[name],
            method: event.requestContext.http.method,
            pathAndQuery: event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath,
            body: event.body ?? "",
            nowMs: Date.now(),
            secretsFor: (appId) => (appId === APP.id ? [APP.secret] : undefined),
          });
          if (!verdict.ok)
            return { statusCode: 401, body: JSON.stringify({ code: 40100, message: verdict.message }) };
        }
        return reply(event);
      },
      sweep,
    });
    return door.url;
  };

  const run = async (url: string, ...argv: string[]): Promise<Run> => {
    let out = "";
    let err = "";
    const code = await runCli(
      argv,
      {
        CANCEL_API_URL: url,
        APP_ID: APP.id,
        APP_SECRET: APP.secret,
        A55_ACCESS_TOKEN: TOKEN,
        CANCEL_LOCAL_DIR: "/nonexistent",
      },
      { out: (text) => (out += `${text}\n`), err: (text) => (err += text), errIsTty: false },
    );
    return { code, out, err };
  };

  const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
    statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  it("signs an intent cancel, sends a fresh Idempotency-Key and exits 0 on success", async () => {
    // Prepare
    const url = await start(() =>
      json(200, { code: 0, message: "操作成功", data: { id: "intent_67890", status: "CANCELLED" } }),
    );

    // Act
    const result = await run(url, "intent", "cancel", "intent_67890", "--reason", "changed mind");

    // Assess
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^CANCELLED {2}intent intent_67890/);
    expect(result.out).toMatch(/\n {2}data\.status +CANCELLED\n/);
    expect(seen[0]?.rawPath).toBe("/api/v1/intents/intent_67890/cancel");
    expect(seen[0]?.body).toBe('{"reason":"changed mind"}');
    expect(seen[0]?.headers["idempotency-key"]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("exits 2 when the intent cannot be cancelled, 0 when it already was", async () => {
    const url = await start((event) =>
      json(400, {
        code: 40003,
        message: "当前状态不允许取消",
        data: { currentStatus: event.rawPath.includes("done") ? "CANCELLED" : "COMPLETED", reason: "x" },
      }),
    );

    const completed = await run(url, "intent", "cancel", "intent_completed");
    const cancelled = await run(url, "intent", "cancel", "intent_done");

    expect(completed.code).toBe(2);
    expect(completed.out).toMatch(/^NOT_CANCELLABLE/);
    expect(cancelled.code).toBe(0);
    expect(cancelled.out).toMatch(/^ALREADY_CANCELLED/);
  });

  it("sends the charge cancel with the bearer token and the given key; a settled charge exits 2", async () => {
    const url = await start(() =>
      json(409, {
        charge_uuid: "c0ffee00-0000-4000-8000-000000000001",
        status: "error",
        message: [{ code: "CANCEL_NOT_ALLOWED", source: "charge", description: "Use refund instead." }],
      }),
    );

    const result = await run(
      url,
      "charge",
      "cancel",
      "c0ffee00-0000-4000-8000-000000000001",
      "f47ac10b-58cc-4372-a567-0e02b2c3d479",
      "--idempotency-key",
      "key-1",
      "--json",
    );

    expect(result.code).toBe(2);
    expect(JSON.parse(result.out)).toMatchObject({
      outcome: "REFUND_REQUIRED",
      exitCode: 2,
      httpStatus: 409,
      idempotencyKey: "key-1",
    });
    expect(seen[0]?.rawPath).toBe(
      "/api/v1/bank/wallet/charge/c0ffee00-0000-4000-8000-000000000001/cancel/f47ac10b-58cc-4372-a567-0e02b2c3d479/",
    );
    expect(seen[0]?.headers["idempotency-key"]).toBe("key-1");
    expect(seen[0]?.body).toBe("{}");
  });

  it("sends the order body and exits by the outcome", async () => {
    const url = await start(() => json(200, { orderId: "o-1", outcome: "REFUND_REQUIRED", steps: {} }));

    const result = await run(
      url,
      "order",
      "cancel",
      "o-1",
      "--intent",
      "intent_67890",
      "--charge",
      "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
      "--wallet",
      "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    );

    expect(result.code).toBe(2);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({
      intentId: "intent_67890",
      charge: {
        chargeUuid: "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        walletUuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
      },
    });
  });

  it("signs the audit query string too and prints a table", async () => {
    const url = await start(() =>
      json(200, {
        items: [
          { at: "2026-02-25T11:30:00.000Z", outcome: "CANCELLED", trigger: "http", actor: "dev_app_local" },
        ],
        cursor: "next",
      }),
    );

    const result = await run(url, "audit", "intent", "intent_67890", "--limit", "5");

    expect(result.code).toBe(0);
    expect(seen[0]?.rawQueryString).toBe("limit=5");
    expect(result.out).toContain("AT                        OUTCOME    TRIGGER  ACTOR");
    expect(result.out).toContain("--cursor 'next'");
  });

  it("says which records the continuation wrote on the request's behalf", async () => {
    const url = await start(() =>
      json(200, {
        items: [
          { at: "2026-02-25T11:31:00.000Z", outcome: "CANCELLED", trigger: "http", via: "continuation" },
          { at: "2026-02-25T11:30:00.000Z", outcome: "PENDING", trigger: "http" },
        ],
      }),
    );

    const result = await run(url, "audit", "order", "order-2001");

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/2026-02-25T11:31:00.000Z {2}CANCELLED {2}http \(via continuation\)/);
    expect(result.out).toMatch(/2026-02-25T11:30:00.000Z {2}PENDING {4}http$/m);
  });

  it("exits 1 on a 5xx and on a refused signature", async () => {
    const url = await start(() => json(503, { code: 50300, message: "unavailable", data: null }));

    const unavailable = await run(url, "intent", "cancel", "intent_67890");
    let err = "";
    const badSecret = await runCli(
      ["intent", "cancel", "intent_67890"],
      { CANCEL_API_URL: url, APP_ID: APP.id, APP_SECRET: "wrong", CANCEL_LOCAL_DIR: "/nonexistent" },
      { out: () => {}, err: (text) => (err += text), errIsTty: false },
    );

    expect(unavailable.code).toBe(1);
    expect(unavailable.out).toMatch(/^FAILED \(HTTP 503/);
    expect(badSecret).toBe(1);
    expect(err).toBe("");
  });

  it("exits 1 when the service cannot be reached", async () => {
    const url = await start(() => json(200, {}));
    await door?.close();

    const result = await run(url, "intent", "cancel", "intent_67890");

    expect(result.code).toBe(1);
    expect(result.err).toContain("Is `npm start` running?");
  });

  it("streams a sweep: a progress line per update on stderr, the summary on stdout", async () => {
    const progress = channel(SWEEP_PROGRESS_CHANNEL);
    const url = await start(
      () => json(404, {}),
      async () => {
        progress.publish({ dryRun: true, scanned: 2, wouldCancel: 1 });
        progress.publish({ dryRun: true, scanned: 2, wouldCancel: 2 });
        return { dryRun: true, scanned: 2, wouldCancel: 2, failed: 0 };
      },
    );

    const result = await run(url, "sweep", "--dry-run");

    expect(result.code).toBe(0);
    expect(result.err).toBe(
      "sweep (dry run): scanned 2 · would cancel 1\nsweep (dry run): scanned 2 · would cancel 2\n",
    );
    expect(result.out).toMatch(/^DRY RUN {2}expiry sweep/);
    expect(result.out).toContain("wouldCancel  2");
  });

  it("exits 1 when the sweep reports failed cancels", async () => {
    const url = await start(
      () => json(404, {}),
      async () => ({ dryRun: false, scanned: 3, cancelled: 2, failed: 1 }),
    );

    const result = await run(url, "sweep", "--json");

    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({ exitCode: 1, summary: { failed: 1 } });
  });

  it.each([
    [[]],
    [["intent", "cancel"]],
    [["intent", "cancel", "a", "b"]],
    [["charge", "cancel", "only-one"]],
    [["order", "cancel", "o-1"]],
    [["order", "cancel", "o-1", "--charge", "a1b2c3d4-e5f6-7890-abcd-ef1234567890"]],
    [["audit", "refund", "x"]],
    [["sweep", "--reason", "x"]],
    [["intent", "cancel", "x", "--bogus"]],
    [["frobnicate"]],
  ])("exits 64 on bad usage: %j", async (argv) => {
    const result = await run("http://127.0.0.1:9", ...argv);

    expect(result.code).toBe(64);
    expect(seen).toEqual([]);
  });
});

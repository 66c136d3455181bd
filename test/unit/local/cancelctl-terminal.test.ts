import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";
import { jsonText, keyValueTable, safeOutput, terminalSafe } from "../../../bin/cancelctl/render.ts";

/**
 * cancelctl prints text that comes from outside (callers' reasons, upstream messages, ids,
 * error bodies, dead letters): none of it may reach the terminal as control characters,
 * and none of it may look like a line of ours (issue 18).
 */

/** Every character a terminal acts on, other than the line breaks cancelctl writes itself. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Text a hostile caller stored: a clear screen, a bell, a forged row, a C1 CSI, a bidi override. */
const HOSTILE = "fine\u001b[2J\u001b[H\u0007\r\noutcome.outcome CANCELLED\u009b31m\u202eevil\u0000";

interface Run {
  code: number;
  out: string;
  err: string;
}

describe("cancelctl never prints outside text raw", () => {
  let door: RunningFrontDoor | undefined;
  afterEach(async () => {
    await door?.close();
    door = undefined;
  });

  const serve = async (reply: (path: string) => APIGatewayProxyStructuredResultV2): Promise<string> => {
    door = await startTestFrontDoor({
      http: async (event: APIGatewayProxyEventV2) =>
        reply(`${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ""}`),
      sweep: async () => ({}),
    });
    return door.url;
  };
  const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
    statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const run = async (url: string, ...argv: string[]): Promise<Run> => {
    let out = "";
    let err = "";
    const code = await runCli(
      argv,
      {
        CANCEL_API_URL: url,
        APP_ID: "dev_app_local",
        APP_SECRET: "s3cret",
        A55_ACCESS_TOKEN: "token",
        CANCEL_LOCAL_DIR: "/nonexistent",
      },
      { out: (text) => (out += `${text}\n`), err: (text) => (err += text), errIsTty: false },
    );
    return { code, out, err };
  };
  const expectNoControl = (result: Run): void => {
    expect(result.out).not.toMatch(TERMINAL_CONTROL);
    expect(result.err).not.toMatch(TERMINAL_CONTROL);
  };

  it("order status: a caller's reason cannot forge an outcome line under the real NOT_CANCELLABLE", async () => {
    const url = await serve(() =>
      json(200, {
        orderId: "order-1",
        state: "DONE",
        final: true,
        outcome: { outcome: "NOT_CANCELLABLE", reason: "already shipped" },
        request: { reason: HOSTILE, trigger: "http", actor: "storefront_app" },
      }),
    );

    const result = await run(url, "order", "status", "order-1");

    expectNoControl(result);
    const lines = result.out.split("\n");
    expect(lines[0]).toBe("NOT_CANCELLABLE  order order-1: its cancellation");
    // Exactly one outcome row, ours; the reason stays on its own row, quoted and escaped.
    expect(lines.filter((line) => /^\s*outcome\.outcome\b/.test(line))).toEqual([
      expect.stringMatching(/^ {2}outcome\.outcome +NOT_CANCELLABLE$/),
    ]);
    expect(lines.filter((line) => line.includes("CANCELLED") && !line.includes("NOT_CANCELLABLE"))).toEqual([
      `  request.reason   ${JSON.stringify(HOSTILE)
        .replace("\\u001b", "\\x1b")
        .replace("\\u001b", "\\x1b")
        .replace("\\u0007", "\\x07")
        .replace("\\u0000", "\\x00")
        .replace("\u009b", "\\x9b")
        .replace("\u202e", "\\u202e")}`,
    ]);
  });

  it("audit: every record is one row, whatever its reason, detail, actor and key hold", async () => {
    const record = {
      at: "2026-11-23T10:00:00.000Z",
      outcome: "FAILED",
      trigger: "bus",
      actor: `storefront\u001b]0;pwned\u0007`,
      reason: HOSTILE,
      detail: "upstream said\nERROR everything is fine",
      upstream: { httpStatus: 500, code: "E\u001b[31m" },
      idempotencyKey: "k\u0085",
    };
    const url = await serve(() => json(200, { items: [record, record], cursor: "abc'; rm -rf ~ #" }));

    const result = await run(url, "audit", "intent", "intent_1");

    expectNoControl(result);
    const lines = result.out.trimEnd().split("\n");
    expect(lines.slice(2).filter((line) => line.startsWith("2026-11-23"))).toHaveLength(2);
    expect(lines.filter((line) => /^ERROR everything/.test(line))).toEqual([]);
    // The next-page hint is a command to paste: the service's cursor is one quoted shell word.
    expect(lines.at(-1)).toBe(`More: cancelctl audit 'intent' 'intent_1' --cursor 'abc'\\''; rm -rf ~ #'`);
  });

  it("a proxy's error page and an upstream's message are printed escaped, in tables and on failure lines", async () => {
    const url = await serve((path) =>
      path.startsWith("/api/v1/intents")
        ? {
            statusCode: 502,
            headers: { "content-type": "text/html" },
            body: `<h1>Bad\u001b[2J gateway</h1>\r\n`,
          }
        : json(503, { error: { code: `unavailable\u0007`, message: HOSTILE } }),
    );

    const intent = await run(url, "intent", "cancel", "intent_1");
    const pending = await run(url, "pending");

    expectNoControl(intent);
    expectNoControl(pending);
    expect(intent.code).toBe(1);
    expect(intent.out).toContain("<h1>Bad\\x1b[2J gateway</h1>\\r\\n");
    expect(pending.out).toContain("fine\\x1b[2J");
  });

  it("--json: the same values, with DEL, C1, line separators and bidi controls written as \\u escapes", async () => {
    const body = { outcome: "CANCELLED", orderId: "order-1", steps: {}, note: HOSTILE };
    const url = await serve(() => json(200, body));

    const result = await run(url, "order", "cancel", "order-1", "--intent", "intent_1", "--json");

    expectNoControl(result);
    expect(JSON.parse(result.out).body).toEqual(body);
  });

  it("report: table and CSV escape the service's text", async () => {
    const entry = {
      target: { type: "order", id: "order-1" },
      orderId: "order-1",
      trigger: "http",
      outcome: "REFUND_REQUIRED",
      at: "2026-11-23T10:00:00.000Z",
      correlationId: `corr\u001b[2K`,
      problem: HOSTILE,
    };
    const report = {
      day: "2026-11-23",
      records: 1,
      targets: 1,
      totals: [{ targetType: "order", trigger: "http", outcome: "REFUND_REQUIRED", targets: 1 }],
      refundsRequired: [entry],
      failures: [entry],
      notFinal: [],
    };
    const url = await serve(() => json(200, report));

    const table = await run(url, "report", "--day", "2026-11-23");
    const csv = await run(url, "report", "--day", "2026-11-23", "--csv");

    expectNoControl(table);
    // RFC 4180 ends CSV lines with CR LF: the only CR printed.
    expectNoControl({ ...csv, out: csv.out.replaceAll("\r\n", "\n") });
    // Header, total, two entries: a hostile field never adds a CSV line.
    expect(csv.out.trimEnd().split("\r\n")).toHaveLength(4);
  });
});

describe("cancelctl dlq never prints a dead letter raw", () => {
  const sqs = mockClient(SQSClient);
  afterAll(() => sqs.restore());

  const hostileMessage = {
    MessageId: "m-1",
    ReceiptHandle: "r-1",
    Body: JSON.stringify({
      id: "evt-1",
      source: "storefront.orders",
      "detail-type": "Cancel Requested",
      detail: {
        target: { type: "intent", id: `intent_1\u001b[2J` },
        reason: HOSTILE,
        idempotencyKey: "k\u009b",
      },
    }),
    Attributes: { SentTimestamp: "1700000000000", ApproximateReceiveCount: "1" },
    MessageAttributes: {
      ERROR_CODE: { DataType: "String", StringValue: "StoreUnavailableError\u0007" },
      ERROR_MESSAGE: { DataType: "String", StringValue: HOSTILE },
    },
  };
  const dlq = async (...argv: string[]): Promise<Run> => {
    sqs.reset();
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "1" } });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [hostileMessage] })
      .resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
    let out = "";
    let err = "";
    const code = await runCli(
      [
        "dlq",
        ...argv,
        "--queue-url",
        "http://127.0.0.1:9/000000000000/work-dlq",
        "--redrive-to",
        "http://127.0.0.1:9/000000000000/work",
        "--endpoint",
        "http://127.0.0.1:9",
      ],
      { CANCEL_LOCAL_DIR: "/nonexistent" },
      { out: (text) => (out += `${text}\n`), err: (text) => (err += text), errIsTty: false },
    );
    return { code, out, err };
  };

  it("list: one row per message, its what and its error escaped", async () => {
    const result = await dlq("list");

    expect(result.code).toBe(0);
    expect(result.out).not.toMatch(TERMINAL_CONTROL);
    expect(result.out).toContain("StoreUnavailableError\\x07: fine\\x1b[2J");
    expect(result.out.split("\n").filter((line) => line.includes("m-1"))).toHaveLength(1);
  });

  it("show: attributes and the body escaped; the body's strings stay JSON", async () => {
    const result = await dlq("show", "m-1");

    expect(result.code).toBe(0);
    expect(result.out).not.toMatch(TERMINAL_CONTROL);
    expect(result.out).toContain('"reason": "fine\\u001b[2J');
    expect(result.out.split("\n").filter((line) => /^\s*outcome\.outcome/.test(line))).toEqual([]);
  });
});

describe("render.ts", () => {
  it("terminalSafe writes every unsafe character as an escape and doubles backslashes", () => {
    expect(terminalSafe("a\nb\tc\rd\u001b[0m\u0007\u007f\u0085\u009b\u2028\u202e\ud800 \\n")).toBe(
      "a\\nb\\tc\\rd\\x1b[0m\\x07\\x7f\\x85\\x9b\\u2028\\u202e\\ud800 \\\\n",
    );
    expect(terminalSafe("Ünïcode 😀 中文")).toBe("Ünïcode 😀 中文");
  });

  it("keyValueTable quotes a value that had to be escaped or has spaces at an end; plain ones stay plain", () => {
    expect(
      keyValueTable([
        ["plain", "CANCELLED"],
        ["escaped", 'a\nb "c"'],
        ["spaced", "  x"],
        ["key\nforged", "v"],
      ]),
    ).toBe(
      [
        "  plain        CANCELLED",
        '  escaped      "a\\nb \\"c\\""',
        '  spaced       "  x"',
        "  key\\nforged  v",
      ].join("\n"),
    );
  });

  it("jsonText is the same JSON value, with no raw DEL, C1, separator or bidi control", () => {
    const value = { text: "\u007f\u0085\u2028\u202e\u0000" };
    expect(jsonText(value)).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(jsonText(value))).toEqual(value);
  });

  it("safeOutput keeps line breaks and a progress redraw at the start, escapes the rest", () => {
    expect(safeOutput("\r\u001b[2Kline\u001b[2J\nnext")).toBe("\r\u001b[2Kline\\x1b[2J\nnext");
    expect(safeOutput("csv\r\nline\rover \u001b[2K")).toBe("csv\r\nline\\rover \\x1b[2K");
  });
});

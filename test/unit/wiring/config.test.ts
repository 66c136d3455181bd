import { describe, expect, it } from "vitest";
import { ConfigurationError } from "#core/errors.ts";
import { buildBusWiring } from "#wiring/bus-wiring.ts";
import { parseDuration, readConfig } from "#wiring/config.ts";
import { buildContainer } from "#wiring/container.ts";

const minimal = {
  IDEMPOTENCY_TABLE: "idem",
  AUDIT_TABLE: "audit",
  EVENT_BUS_NAME: "bus",
  PROCURE_CORE_SECRET_ARN: "arn:pc",
  A55_SECRET_ARN: "arn:a55",
  CLIENTS_SECRET_ARN: "arn:clients",
};

describe("readConfig", () => {
  it("applies the documented defaults", () => {
    const config = readConfig(minimal);
    expect(config).toMatchObject({
      secrets: { source: "secrets-manager", procureCore: "arn:pc", a55: "arn:a55", clients: "arn:clients" },
      secretsTtlMs: 300_000,
      upstreamTimeoutMs: 5_000,
      upstreamMaxAttempts: 4,
      maxBodyBytes: 16_384,
      sweep: {
        expiryAfterMs: 86_400_000,
        concurrency: 8,
        maxRequestsPerMinute: 90,
        pageSize: 100,
        dryRun: false,
      },
    });
  });

  it("reads every secret from one file when SECRETS_FILE is set", () => {
    const { PROCURE_CORE_SECRET_ARN: _p, A55_SECRET_ARN: _a, CLIENTS_SECRET_ARN: _c, ...rest } = minimal;
    expect(readConfig({ ...rest, SECRETS_FILE: ".local/secrets.json" }).secrets).toEqual({
      source: "file",
      path: ".local/secrets.json",
    });
  });

  it("names every missing or malformed variable at once, never a value", () => {
    const attempt = () =>
      readConfig({ AUDIT_TABLE: "audit", SWEEP_CONCURRENCY: "lots", DRY_RUN: "maybe", EXPIRY_AFTER: "soon" });
    expect(attempt).toThrow(ConfigurationError);
    for (const name of ["IDEMPOTENCY_TABLE", "EVENT_BUS_NAME", "PROCURE_CORE_SECRET_ARN", "A55_SECRET_ARN"]) {
      expect(attempt).toThrow(`${name} is missing`);
    }
    expect(attempt).toThrow(/SWEEP_CONCURRENCY must be an integer from 1 to 64/);
    expect(attempt).toThrow(/DRY_RUN must be true or false/);
    expect(attempt).toThrow(/EXPIRY_AFTER must be a duration/);
    expect(attempt).not.toThrow(/lots|maybe|soon/);
  });

  it("needs no clients secret where callers are not authenticated (bus, sweep); asking for it names the variable", async () => {
    const { CLIENTS_SECRET_ARN: _clients, ...busEnvironment } = minimal;
    const config = readConfig(busEnvironment);
    expect(config.secrets).toMatchObject({ source: "secrets-manager", clients: undefined });
    const container = buildContainer(config);
    await expect(container.clients.get()).rejects.toThrow(ConfigurationError);
    await expect(container.clients.get()).rejects.toThrow(/CLIENTS_SECRET_ARN is missing/);
  });

  it("gives the bus function its work queue; a malformed queue URL or SQS endpoint is named", () => {
    const url = "https://sqs.us-east-1.amazonaws.com/123456789012/cancel-requested";

    expect(readConfig({ ...minimal, CANCEL_REQUESTED_QUEUE_URL: url }).cancelRequestedQueueUrl).toBe(url);
    expect(readConfig(minimal).cancelRequestedQueueUrl).toBeUndefined();
    expect(() => readConfig({ ...minimal, CANCEL_REQUESTED_QUEUE_URL: "cancel-requested" })).toThrow(
      /CANCEL_REQUESTED_QUEUE_URL must be an http\(s\) URL/,
    );
    expect(() => readConfig({ ...minimal, SQS_ENDPOINT: "ftp://x" })).toThrow(
      /SQS_ENDPOINT must be an http\(s\) URL/,
    );
  });

  it("the bus wiring needs the queue URL and names the variable when a function was not given it", () => {
    const withQueue = buildContainer(
      readConfig({ ...minimal, CANCEL_REQUESTED_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/1/q" }),
    );

    expect(() => buildBusWiring(buildContainer(readConfig(minimal)))).toThrow(
      new ConfigurationError(
        "Invalid configuration: CANCEL_REQUESTED_QUEUE_URL is missing (the bus function puts rate-limited requests back on its queue)",
      ),
    );
    expect(buildBusWiring(withQueue).container).toBe(withQueue);
  });

  it("parses durations", () => {
    expect([
      parseDuration("90m"),
      parseDuration("2d"),
      parseDuration("500ms"),
      parseDuration("1500"),
    ]).toEqual([5_400_000, 172_800_000, 500, 1_500]);
    expect(parseDuration("tomorrow")).toBeUndefined();
  });
});

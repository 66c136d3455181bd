import { describe, expect, it } from "vitest";
import { ConfigurationError } from "#core/errors.ts";
import { buildBusWiring } from "#wiring/bus-wiring.ts";
import { MAX_BUDGET_PER_MINUTE, readConfig, readRelayConfig } from "#wiring/config.ts";
import { buildContainer } from "#wiring/container.ts";
import { parseDuration } from "#wiring/env-reader.ts";

const minimal = {
  IDEMPOTENCY_TABLE: "idem",
  AUDIT_TABLE: "audit",
  PROCURE_CORE_SECRET_ARN: "arn:pc",
  A55_SECRET_ARN: "arn:a55",
  CLIENTS_SECRET_ARN: "arn:clients",
};

describe("readConfig", () => {
  it("applies the documented defaults", () => {
    const config = readConfig(minimal);
    expect(config).toMatchObject({
      secrets: {
        source: "secrets-manager",
        upstreams: { "procure-core": "arn:pc", a55: "arn:a55" },
        clients: "arn:clients",
      },
      secretsTtlMs: 300_000,
      upstreamTimeoutMs: 5_000,
      upstreamMaxAttempts: 4,
      budget: { perMinute: { a55: 100, "procure-core": 300 }, backgroundShare: 0.6, marginMs: 1_000 },
      maxBodyBytes: 16_384,
      sweep: {
        expiryAfterMs: 86_400_000,
        concurrency: 8,
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
    for (const name of ["IDEMPOTENCY_TABLE", "PROCURE_CORE_SECRET_ARN"]) {
      expect(attempt).toThrow(`${name} is missing`);
    }
    // What only some functions use is asked for by those alone: the bus's name (the relay's),
    // A55's credentials (not the sweep's), the callers' credentials (the HTTP function's).
    expect(attempt).not.toThrow(/EVENT_BUS_NAME|A55_SECRET_ARN|CLIENTS_SECRET_ARN/);
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

  it("needs no A55 secret where no charge is cancelled (the sweep); asking for it names the variable", async () => {
    const { A55_SECRET_ARN: _a55, CLIENTS_SECRET_ARN: _clients, ...sweepEnvironment } = minimal;
    const config = readConfig(sweepEnvironment);
    expect(config.secrets).toEqual({
      source: "secrets-manager",
      upstreams: { "procure-core": "arn:pc" },
      clients: undefined,
    });
    const container = buildContainer(config);
    await expect(
      container.deps.charges.cancelCharge(
        {
          chargeUuid: "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
          walletUuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
          idempotencyKey: "a1b2c3d4-e5f6-4890-abcd-ef1234567891",
        },
        { deadline: Date.now() + 5_000 },
      ),
    ).rejects.toThrow(/A55_SECRET_ARN is missing/);
  });

  it("reads the shared budget's limits, share and margin", () => {
    // Act
    const config = readConfig({
      ...minimal,
      A55_BUDGET_PER_MINUTE: "60",
      PROCURE_CORE_BUDGET_PER_MINUTE: "1000",
      BACKGROUND_BUDGET_SHARE: "0.7",
      UPSTREAM_BUDGET_MARGIN_MS: "2500",
    });

    // Assess
    expect(config.budget).toEqual({
      perMinute: { a55: 60, "procure-core": 1_000 },
      backgroundShare: 0.7,
      marginMs: 2_500,
    });
  });

  it.each([
    ["A55_BUDGET_PER_MINUTE", "10001"],
    ["PROCURE_CORE_BUDGET_PER_MINUTE", "100000"],
  ])(
    "refuses a budget limit over the largest measured (%s=%s), naming the variable and the ceiling",
    (name, value) => {
      const attempt = () => readConfig({ ...minimal, [name]: value });

      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).toThrow(
        `${name} must be an integer from 1 to ${MAX_BUDGET_PER_MINUTE} (a larger limit is more than the budget was measured at: docs/capacity.md)`,
      );
      expect(MAX_BUDGET_PER_MINUTE).toBe(10_000);
    },
  );

  it.each([
    ["A55_BUDGET_PER_MINUTE", "0"],
    ["A55_BUDGET_PER_MINUTE", "-5"],
    ["A55_BUDGET_PER_MINUTE", "lots"],
    ["A55_BUDGET_PER_MINUTE", "12.5"],
    ["A55_BUDGET_PER_MINUTE", "20000"],
    ["PROCURE_CORE_BUDGET_PER_MINUTE", "0"],
    ["PROCURE_CORE_BUDGET_PER_MINUTE", "-1"],
    ["PROCURE_CORE_BUDGET_PER_MINUTE", "NaN"],
    ["BACKGROUND_BUDGET_SHARE", "0"],
    ["BACKGROUND_BUDGET_SHARE", "-0.5"],
    ["BACKGROUND_BUDGET_SHARE", "1.5"],
    ["BACKGROUND_BUDGET_SHARE", "half"],
    ["UPSTREAM_BUDGET_MARGIN_MS", "0"],
    ["UPSTREAM_BUDGET_MARGIN_MS", "soon"],
  ])(
    "a misconfigured budget (%s=%s) stops the container with an error naming the variable",
    (name, value) => {
      // Act
      const attempt = () => readConfig({ ...minimal, [name]: value });

      // Assess
      expect(attempt).toThrow(ConfigurationError);
      expect(attempt).toThrow(new RegExp(`${name} must be`));
      if (/^[a-z]+$/i.test(value)) expect(attempt).not.toThrow(value);
    },
  );

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

  it("the bus wiring needs the queue and dead-letter queue URLs and names the variable a function was not given", () => {
    const queue = { CANCEL_REQUESTED_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/1/q" };
    const withQueue = buildContainer(readConfig({ ...minimal, ...queue }));
    const withBoth = buildContainer(
      readConfig({
        ...minimal,
        ...queue,
        CANCEL_REQUESTED_FAILURES_URL: "https://sqs.us-east-1.amazonaws.com/1/q-failures",
      }),
    );

    expect(() => buildBusWiring(buildContainer(readConfig(minimal)))).toThrow(
      new ConfigurationError(
        "Invalid configuration: CANCEL_REQUESTED_QUEUE_URL is missing (the bus function puts rate-limited requests back on its queue)",
      ),
    );
    expect(() => buildBusWiring(withQueue)).toThrow(
      new ConfigurationError(
        "Invalid configuration: CANCEL_REQUESTED_FAILURES_URL is missing (the bus function dead-letters a message with its error on its last receive)",
      ),
    );
    expect(() => readConfig({ ...minimal, CANCEL_REQUESTED_FAILURES_URL: "failures" })).toThrow(
      /CANCEL_REQUESTED_FAILURES_URL must be an http\(s\) URL/,
    );
    expect(buildBusWiring(withBoth).container).toBe(withBoth);
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

describe("readRelayConfig", () => {
  it("needs only the bus: no table, no secret", () => {
    expect(readRelayConfig({ EVENT_BUS_NAME: "cancellations" })).toEqual({
      eventBusName: "cancellations",
      eventBridgeEndpoint: undefined,
      eventBridgeTimeoutMs: 3_000,
    });
  });

  it("names every problem at once", () => {
    expect(() => readRelayConfig({ EVENTBRIDGE_TIMEOUT_MS: "5" })).toThrow(
      "Invalid relay configuration: EVENT_BUS_NAME is missing; EVENTBRIDGE_TIMEOUT_MS must be an integer from 100 to 60000",
    );
  });
});

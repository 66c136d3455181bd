import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createMetrics,
  REDACTED,
  recordBudgetRefused,
  recordBudgetTaken,
  recordOutboxPublished,
  recordOutboxPublishFailure,
  recordOutcome,
  recordUpstreamAttempt,
  recordUpstreamCall,
  recordUpstreamRateLimited,
  redactCredentials,
} from "#wiring/observability.ts";

describe("metrics", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("writes one EMF line per metric, and a line's dimensions never leak into the next", () => {
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = createMetrics();

    recordOutcome(metrics, "http", "CANCELLED");
    recordUpstreamCall(metrics, "a55", 12);
    recordUpstreamAttempt(metrics, "procure-core", 5);
    recordOutcome(metrics, "bus", "FAILED");

    const emf = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const value = (e: Record<string, unknown>) =>
      e.Cancellations ?? e.UpstreamCallLatency ?? e.UpstreamAttemptLatency;
    expect(emf.map((e) => [e.trigger, e.outcome, e.upstream, value(e)])).toEqual([
      ["http", "CANCELLED", undefined, 1],
      [undefined, undefined, "a55", 12],
      [undefined, undefined, "procure-core", 5],
      ["bus", "FAILED", undefined, 1],
    ]);
  });
});

describe("budget metrics", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("writes UpstreamBudgetTaken and UpstreamBudgetRefused by upstream and priority, UpstreamRateLimited by upstream", () => {
    // Prepare
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = createMetrics();

    // Act
    recordBudgetTaken(metrics, "a55", "interactive");
    recordBudgetRefused(metrics, "procure-core", "background");
    recordUpstreamRateLimited(metrics, "a55");

    // Assess
    const emf = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      emf.map((e) => [
        e.upstream,
        e.priority,
        e.UpstreamBudgetTaken ?? e.UpstreamBudgetRefused ?? e.UpstreamRateLimited,
      ]),
    ).toEqual([
      ["a55", "interactive", 1],
      ["procure-core", "background", 1],
      ["a55", undefined, 1],
    ]);
    const names = emf.map(
      (e) =>
        (e._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]?.Metrics[0]
          ?.Name,
    );
    expect(names).toEqual(["UpstreamBudgetTaken", "UpstreamBudgetRefused", "UpstreamRateLimited"]);
  });
});

describe("outbox metrics", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("counts published events with their commit-to-bus lag, and failed attempts, without dimensions", () => {
    // Prepare
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = createMetrics();

    // Act
    recordOutboxPublished(metrics, 420);
    recordOutboxPublishFailure(metrics);

    // Assess
    const emf = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const names = emf.map((e) =>
      (
        (e._aws as { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] })
          .CloudWatchMetrics[0]?.Metrics ?? []
      ).map((m) => `${m.Name} ${m.Unit}`),
    );
    expect(names).toEqual([
      ["OutboxPublished Count"],
      ["OutboxLagMs Milliseconds"],
      ["OutboxPublishFailures Count"],
    ]);
    expect(emf.map((e) => e.OutboxPublished ?? e.OutboxLagMs ?? e.OutboxPublishFailures)).toEqual([
      1, 420, 1,
    ]);
  });
});

describe("redactCredentials", () => {
  it("blanks values whose key names a credential, and keeps ids and keys that only look alike", () => {
    const log = JSON.parse(
      JSON.stringify(
        {
          headers: { authorization: "Bearer abc", "x-signature": "f00", "x-app-id": "app" },
          appSecret: "s3cret",
          accessToken: "tok",
          idempotencyKey: "k-1",
          retryable: true,
        },
        redactCredentials,
      ),
    );
    expect(log).toEqual({
      headers: { authorization: REDACTED, "x-signature": REDACTED, "x-app-id": "app" },
      appSecret: REDACTED,
      accessToken: REDACTED,
      idempotencyKey: "k-1",
      retryable: true,
    });
  });
});

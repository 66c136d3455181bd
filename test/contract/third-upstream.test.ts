/**
 * The proof that an upstream is a registry entry and a client: Fake-Ledger, a third
 * upstream that exists only in the tests (fake-ledger/), goes through the very code the
 * service's two use, end to end — its variables read by the configuration's rules under the
 * names derived from its one name, its secret from (mocked) Secrets Manager under the ARN
 * variable so derived and checked against its schema, its own ring in the shared budget
 * (DynamoDB's semantics in memory: test/support/memory-ring-store.ts), the upstream
 * exchange (retries, `Retry-After`, the 401 rule, its error dialect), and the production
 * metrics and logs of calls, attempts, retries and the budget.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  SharedUpstreamBudget,
  type SharedUpstreamBudgetOptions,
} from "#adapters/budget/shared-upstream-budget.ts";
import type { ExchangeOptions } from "#adapters/http/exchange-types.ts";
import { createSecretsManagerProvider } from "#adapters/secrets/secret-provider.ts";
import { budgetVariableOf, secretNamingOf, UPSTREAM_NAMES } from "#adapters/upstreams/upstream-registry.ts";
import { UpstreamAuthError, UpstreamError, UpstreamRateLimitedError } from "#core/errors.ts";
import { failureFrom } from "#core/upstream-failure.ts";
import { MemoryRingStore } from "#test/support/memory-ring-store.ts";
import { readUpstreamConfig } from "#wiring/config.ts";
import { createLogger, createMetrics } from "#wiring/observability.ts";
import { budgetReports, exchangeReports } from "#wiring/upstream-wiring.ts";
import { TestClock, testRetryPolicy } from "./a55-kit.ts";
import { FakeLedgerClient } from "./fake-ledger/fake-ledger-client.ts";
import { type RunningFakeLedger, startFakeLedger } from "./fake-ledger/fake-ledger-server.ts";
import {
  FAKE_LEDGER,
  FAKE_LEDGER_REGISTRY,
  type FakeLedgerName,
  fakeLedgerUpstream,
} from "./fake-ledger/fake-ledger-upstream.ts";

const ARN = "arn:aws:secretsmanager:eu-west-1:000000000000:secret:cancellation-service/test/fake-ledger";
const CLIENT = "service";

/**
 * The production reports, for an upstream the service's registry does not hold. Their types
 * admit only the registry's upstreams (the metric catalogue takes its dimension values from
 * it, so a real upstream is added there and gets its alarms); at run time they write the
 * upstream they are given, which is what this test looks at.
 */
const forFakeLedger = <T>(reports: unknown): T => reports as T;

interface EmfLine {
  _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
  [dimension: string]: unknown;
}

describe("the registry names every upstream from its one name", () => {
  it("derives a third upstream's secret, variables, logical names and output", () => {
    expect(secretNamingOf(FAKE_LEDGER)).toEqual({
      name: "fake-ledger",
      arnVariable: "FAKE_LEDGER_SECRET_ARN",
      component: "FakeLedgerSecret",
      output: "fakeLedgerSecretArn",
    });
    expect(budgetVariableOf(FAKE_LEDGER)).toBe("FAKE_LEDGER_BUDGET_PER_MINUTE");
  });

  it("derives for today's upstreams exactly the names production stages read", () => {
    const names = UPSTREAM_NAMES.map((name) => ({ ...secretNamingOf(name), budget: budgetVariableOf(name) }));
    expect(names).toEqual([
      {
        name: "procure-core",
        arnVariable: "PROCURE_CORE_SECRET_ARN",
        component: "ProcureCoreSecret",
        output: "procureCoreSecretArn",
        budget: "PROCURE_CORE_BUDGET_PER_MINUTE",
      },
      {
        name: "a55",
        arnVariable: "A55_SECRET_ARN",
        component: "A55Secret",
        output: "a55SecretArn",
        budget: "A55_BUDGET_PER_MINUTE",
      },
    ]);
    expect(secretNamingOf("clients")).toMatchObject({
      arnVariable: "CLIENTS_SECRET_ARN",
      component: "ClientsSecret",
    });
  });

  it("reads a third upstream's variables by the configuration's rules", () => {
    expect(readUpstreamConfig({ FAKE_LEDGER_SECRET_ARN: ARN }, FAKE_LEDGER_REGISTRY)).toEqual({
      secretArns: { "fake-ledger": ARN },
      perMinute: { "fake-ledger": 50 },
    });
    // A function that does not call it is not given its secret (its manifest entry grants none).
    expect(readUpstreamConfig({}, FAKE_LEDGER_REGISTRY).secretArns).toEqual({});
    expect(() => readUpstreamConfig({ FAKE_LEDGER_BUDGET_PER_MINUTE: "0" }, FAKE_LEDGER_REGISTRY)).toThrow(
      /FAKE_LEDGER_BUDGET_PER_MINUTE must be an integer from 1 to/,
    );
  });
});

describe("a third upstream, wired through the registry end to end", () => {
  const secretsManager = new SecretsManagerClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const sm = mockClient(secretsManager);
  let ledger: RunningFakeLedger;
  let clock: TestClock;
  let written: string[];

  beforeEach(async () => {
    sm.reset();
    clock = new TestClock();
    ledger = await startFakeLedger();
    written = [];
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    // EMF lines go to stdout, warnings to stderr: both are read here, and kept off the console.
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk) => {
        written.push(String(chunk));
        return true;
      });
    }
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await ledger.close();
  });

  /** The secret Secrets Manager holds under the ARN, as each successive read finds it. */
  const secretHolds = (...apiKeys: string[]) => {
    const reads = sm.on(GetSecretValueCommand, { SecretId: ARN });
    for (const apiKey of apiKeys.slice(0, -1))
      reads.resolvesOnce({ SecretString: JSON.stringify({ baseUrl: ledger.url, apiKey }) });
    reads.resolves({ SecretString: JSON.stringify({ baseUrl: ledger.url, apiKey: apiKeys.at(-1) }) });
  };

  /** What the composition root does for an upstream, from the environment a function would get. */
  const wire = (env: Record<string, string>) => {
    const config = readUpstreamConfig(env, FAKE_LEDGER_REGISTRY);
    const secretId = config.secretArns[FAKE_LEDGER];
    if (secretId === undefined) throw new Error("every wiring here is given FAKE_LEDGER_SECRET_ARN");
    const metrics = createMetrics();
    const logger = createLogger();
    const secret = createSecretsManagerProvider({
      client: secretsManager,
      secretId,
      name: secretNamingOf(FAKE_LEDGER).name,
      schema: fakeLedgerUpstream.secretSchema,
      now: clock.now,
      // A refresh right after a read fetches anew (production: 1 s, to bound what refreshes cost).
      minRefreshIntervalMs: 0,
    });
    const budget = new SharedUpstreamBudget<FakeLedgerName>({
      perMinute: config.perMinute,
      backgroundShare: 0.6,
      marginMs: 1_000,
      store: new MemoryRingStore(),
      now: clock.now,
      sleep: async (ms) => clock.advance(ms),
      ...forFakeLedger<Partial<SharedUpstreamBudgetOptions<FakeLedgerName>>>(budgetReports(metrics, logger)),
    });
    const { policy, sleeps } = testRetryPolicy(clock);
    const client = new FakeLedgerClient({
      secret,
      budget,
      retryPolicy: policy,
      now: clock.now,
      ...forFakeLedger<Partial<ExchangeOptions<FakeLedgerName>>>(exchangeReports(metrics, logger)),
    });
    return { client, budget, sleeps };
  };

  const bounds = (priority: "interactive" | "background" = "interactive") => ({
    deadline: clock.ms + 10_000,
    priority,
  });
  const emf = (): EmfLine[] =>
    written.map((line) => JSON.parse(line) as EmfLine).filter((line) => line._aws !== undefined);
  const metricsWritten = () =>
    emf().map((line) => [line._aws.CloudWatchMetrics[0]?.Metrics[0]?.Name, line.upstream, line.priority]);
  const logged = (message: string) =>
    written
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === message);

  it("secret, budget slot, attempts, retry and answer, with metrics per attempt and per call", async () => {
    // Prepare: the first attempt meets a 503.
    secretHolds("key-1");
    ledger.keys.add("key-1");
    ledger.holds.set("hold-1", "HELD");
    ledger.forced.push({ status: 503, code: "UNAVAILABLE" });
    const { client, budget } = wire({ FAKE_LEDGER_SECRET_ARN: ARN, FAKE_LEDGER_BUDGET_PER_MINUTE: "5" });

    // Act
    const result = await client.release("hold-1", bounds());

    // Assess
    expect(result).toMatchObject({
      kind: "released",
      meta: { httpStatus: 200, attempts: 2, requestId: "req-2" },
    });
    expect(ledger.seen.map((request) => request.status)).toEqual([503, 200]);
    expect(await budget.inspect(FAKE_LEDGER, CLIENT)).toMatchObject({ limit: 5, inWindow: 2 });
    expect(metricsWritten()).toEqual([
      ["UpstreamBudgetTaken", "fake-ledger", "interactive"],
      ["UpstreamAttemptLatency", "fake-ledger", undefined],
      ["UpstreamRetries", "fake-ledger", undefined],
      ["UpstreamBudgetTaken", "fake-ledger", "interactive"],
      ["UpstreamAttemptLatency", "fake-ledger", undefined],
      ["UpstreamCallLatency", "fake-ledger", undefined],
    ]);
    expect(logged("upstream call retried")).toEqual([
      expect.objectContaining({
        upstream: "fake-ledger",
        operation: "releaseHold",
        attempt: 1,
        reason: "HTTP 503 code UNAVAILABLE",
      }),
    ]);
  });

  it("a rotated key: one 401 reads the secret anew and sends once more; refused again, UpstreamAuthError", async () => {
    // Prepare: the service still holds key-old; the ledger now takes key-new only.
    secretHolds("key-old", "key-new");
    ledger.keys.add("key-new");
    ledger.holds.set("hold-1", "HELD");
    const { client } = wire({ FAKE_LEDGER_SECRET_ARN: ARN });

    // Act
    const rotated = await client.release("hold-1", bounds());
    ledger.keys.clear();
    const refused = await client.release("hold-2", bounds()).catch((error: unknown) => error);

    // Assess
    expect(rotated).toMatchObject({ kind: "released", meta: { attempts: 2 } });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    expect(refused).toBeInstanceOf(UpstreamAuthError);
    expect(refused).toMatchObject({
      upstream: "fake-ledger",
      retryable: false,
      httpStatus: 401,
      code: "BAD_KEY",
      attempts: 2,
      message: "Fake-Ledger rejected the credentials (HTTP 401), also after renewing them",
    });
    expect(failureFrom({ type: "order", id: "order-1" }, refused)).toMatchObject({
      type: "FAILED",
      retryable: true,
      problem: "credentials-refused",
    });
  });

  it("its own ring: FAKE_LEDGER_BUDGET_PER_MINUTE refuses interactive work at once, and nothing is sent", async () => {
    // Prepare
    secretHolds("key-1");
    ledger.keys.add("key-1");
    for (const hold of ["a", "b", "c", "d"]) ledger.holds.set(hold, "HELD");
    const { client } = wire({ FAKE_LEDGER_SECRET_ARN: ARN, FAKE_LEDGER_BUDGET_PER_MINUTE: "3" });

    // Act
    for (const hold of ["a", "b", "c"]) await client.release(hold, bounds());
    const refused = await client.release("d", bounds()).catch((error: unknown) => error);

    // Assess: the window is a minute and the margin.
    expect(refused).toBeInstanceOf(UpstreamRateLimitedError);
    expect(refused).toMatchObject({ upstream: "fake-ledger", source: "budget", retryAfterSeconds: 61 });
    expect(ledger.seen).toHaveLength(3);
    expect(ledger.holds.get("d")).toBe("HELD");
    expect(metricsWritten()).toContainEqual(["UpstreamBudgetRefused", "fake-ledger", "interactive"]);
  });

  it("its error dialect: a 429 left carries its Retry-After and code; its documented 500 is not retried", async () => {
    // Prepare: 429 asking for 30 s with 10 s left; then LEDGER_LOCKED.
    secretHolds("key-1");
    ledger.keys.add("key-1");
    ledger.holds.set("hold-1", "HELD");
    ledger.forced.push({ status: 429, code: "SLOW_DOWN", retryAfterSeconds: 30 });
    const { client, sleeps } = wire({ FAKE_LEDGER_SECRET_ARN: ARN });
    const limited = await client.release("hold-1", bounds()).catch((error: unknown) => error);
    clock.advance(31_000);
    ledger.forced.push({ status: 500, code: "LEDGER_LOCKED" });

    // Act
    const locked = await client.release("hold-1", bounds());

    // Assess
    expect(limited).toBeInstanceOf(UpstreamRateLimitedError);
    expect(limited).toMatchObject({
      upstream: "fake-ledger",
      source: "upstream",
      retryAfterSeconds: 30,
      httpStatus: 429,
      code: "SLOW_DOWN",
      upstreamMessage: "slow down",
      requestId: "req-1",
      attempts: 1,
      message: "Fake-Ledger answered HTTP 429 SLOW_DOWN after 1 attempt(s)",
    });
    expect(sleeps).toEqual([]);
    expect(locked).toMatchObject({
      kind: "locked",
      meta: { httpStatus: 500, code: "LEDGER_LOCKED", attempts: 1 },
    });
    expect(metricsWritten()).toContainEqual(["UpstreamRateLimited", "fake-ledger", undefined]);
  });

  it("5xx until the attempts run out, and no answer at all, are retryable UpstreamErrors in its words", async () => {
    // Prepare
    secretHolds("key-1");
    ledger.keys.add("key-1");
    for (let i = 0; i < 4; i++) ledger.forced.push({ status: 503, code: "UNAVAILABLE" });
    const { client } = wire({ FAKE_LEDGER_SECRET_ARN: ARN });

    // Act
    const exhausted = await client.release("hold-1", bounds("background")).catch((error: unknown) => error);
    await ledger.close();
    const unreachable = await client.release("hold-1", bounds("background")).catch((error: unknown) => error);

    // Assess
    expect(exhausted).toBeInstanceOf(UpstreamError);
    expect(exhausted).toMatchObject({
      upstream: "fake-ledger",
      retryable: true,
      httpStatus: 503,
      code: "UNAVAILABLE",
      attempts: 4,
    });
    expect(unreachable).toBeInstanceOf(UpstreamError);
    expect(unreachable).toMatchObject({ upstream: "fake-ledger", retryable: true, attempts: 4 });
    expect((unreachable as Error).message).toMatch(/^Fake-Ledger releaseHold: unreachable: Gave up after 4/);
    expect(metricsWritten().filter(([name]) => name === "UpstreamCallLatency")).toHaveLength(2);
    expect(metricsWritten().filter(([name]) => name === "UpstreamAttemptLatency")).toHaveLength(8);
    ledger = await startFakeLedger(); // afterEach closes it again
  });
});

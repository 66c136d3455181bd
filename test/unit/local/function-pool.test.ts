import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FunctionPool } from "#local/stack/lambda/function-pool.ts";
import type { LocalFunctionSpec } from "#local/stack/lambda/local-function.ts";
import { REPO_ROOT } from "#local/stack/settings.ts";

interface Probe {
  threadId: number;
  loadedAt: number;
  invocations: number;
  remainingMs: number;
  functionName: string;
  awsRequestId: string;
  env: Record<string, string | null>;
}

const spec = (overrides: Partial<LocalFunctionSpec> = {}): LocalFunctionSpec => ({
  name: "probe",
  handler: "test/fixtures/lambda/probe-handlers.probe",
  timeoutSeconds: 5,
  memoryMb: 256,
  workers: 2,
  env: { PROBE_SETTING: "from the spec" },
  channels: ["probe:progress"],
  trigger: { kind: "http" },
  ...overrides,
});

/** Local functions run in worker threads: each a Lambda container with its own module state. */
describe("FunctionPool", () => {
  const pools: FunctionPool[] = [];
  const start = (overrides: Partial<LocalFunctionSpec> = {}): FunctionPool => {
    const pool = new FunctionPool(spec(overrides), {
      root: REPO_ROOT,
      serviceEnv: { SERVICE_SETTING: "from the service" },
      output: () => {},
    });
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });

  it("runs at most `workers` containers, one invocation at a time each, with their own module state", async () => {
    // Prepare
    const pool = start({ workers: 2 });

    // Act: five invocations at once.
    const results = (await Promise.all(
      Array.from({ length: 5 }, () => pool.invoke({ sleepMs: 150 })),
    )) as Probe[];

    // Assess
    const stats = pool.stats();
    expect(stats.coldStarts).toBe(2);
    expect(stats.containers).toBe(2);
    expect(stats.peakBusy).toBe(2);
    expect(stats.invocations).toBe(5);
    expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
    // Each container counts its own invocations: 1..n per thread, never shared.
    for (const threadId of new Set(results.map((r) => r.threadId))) {
      const counts = results.filter((r) => r.threadId === threadId).map((r) => r.invocations);
      expect(counts.sort()).toEqual(Array.from({ length: counts.length }, (_, i) => i + 1));
    }
    expect(stats.initMs).toHaveLength(2);
  });

  it("gives a container the function's environment and Lambda's runtime variables, nothing of this process", async () => {
    process.env.PROBE_SHELL_ONLY = "must not leak";
    try {
      const pool = start();

      const result = (await pool.invoke({
        env: ["PROBE_SETTING", "SERVICE_SETTING", "PROBE_SHELL_ONLY", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER"],
      })) as Probe;

      expect(result.env).toEqual({
        PROBE_SETTING: "from the spec",
        SERVICE_SETTING: "from the service",
        PROBE_SHELL_ONLY: null,
        AWS_LAMBDA_FUNCTION_NAME: "cancellation-local-probe",
        _HANDLER: "probe-handlers.probe",
      });
      expect(result.functionName).toBe("cancellation-local-probe");
      expect(result.remainingMs).toBeGreaterThan(4_000);
      expect(result.remainingMs).toBeLessThanOrEqual(5_000);
    } finally {
      delete process.env.PROBE_SHELL_ONLY;
    }
  });

  it("answers a timeout as Lambda does and kills the container: what it was doing never happens", async () => {
    // Prepare
    const dir = mkdtempSync(path.join(tmpdir(), "pool-timeout-"));
    const touched = path.join(dir, "touched");
    const pool = start({ timeoutSeconds: 1, workers: 1 });
    try {
      // Act
      const timedOut = pool.invoke({ sleepMs: 1_600, touchFile: touched });

      // Assess
      await expect(timedOut).rejects.toMatchObject({
        name: "LambdaTimeoutError",
        message: "Task timed out after 1.00 seconds",
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(existsSync(touched)).toBe(false);
      const next = (await pool.invoke({})) as Probe;
      expect(next.invocations).toBe(1);
      expect(pool.stats()).toMatchObject({ coldStarts: 2, timeouts: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects with the handler's error, named as Lambda's errorType; the container stays warm", async () => {
    const pool = start({ workers: 1 });

    await expect(pool.invoke({ fail: "UpstreamError" })).rejects.toMatchObject({
      name: "UpstreamError",
      message: "failed on purpose: UpstreamError",
    });
    const after = (await pool.invoke({})) as Probe;

    expect(after.invocations).toBe(2);
    expect(pool.stats()).toMatchObject({ coldStarts: 1, errors: 1 });
  });

  it("a container that crashes fails its invocation, and the next one is a cold start", async () => {
    const pool = start({ handler: "test/fixtures/lambda/probe-handlers.crash", workers: 1 });

    await expect(pool.invoke({})).rejects.toMatchObject({ name: "Runtime.ExitError" });
    await expect(pool.invoke({})).rejects.toMatchObject({ name: "Runtime.ExitError" });

    expect(pool.stats().coldStarts).toBe(2);
  });

  it("forwards the function's diagnostics channel to the caller of that invocation only", async () => {
    const pool = start({ workers: 1 });
    const seen: unknown[] = [];

    await pool.invoke({ progress: 2 }, { onChannelMessage: (name, message) => seen.push([name, message]) });
    await pool.invoke({ progress: 1 });

    expect(seen).toEqual([
      ["probe:progress", { step: 1 }],
      ["probe:progress", { step: 2 }],
    ]);
  });

  it("fails every invocation of a handler string that names no export (Runtime.ImportModuleError)", async () => {
    const pool = start({ handler: "test/fixtures/lambda/probe-handlers.missing" });

    await expect(pool.invoke({})).rejects.toMatchObject({
      name: "Runtime.ImportModuleError",
      message: expect.stringContaining('no exported function "missing"'),
    });
  });
});

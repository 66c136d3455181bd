/**
 * Suite 4 — the expiry sweep through its real path: the exported sweep handler, with a
 * container from the composition root (every Procure-Core attempt takes a slot of the
 * shared upstream budget on DynamoDB Local, idempotency and audit there too, events over
 * HTTP), against the Procure-Core sandbox with 20 ms of latency on every answer.
 *
 * 1. 10,000 expired intents at concurrency 16 with no rate limit in effect (the budget's
 *    rings kept in memory at 10,000/min: the sweep's own cost is measured here, the
 *    budget's DynamoDB round trip in suites 1 and 6): cancels per
 *    second and the ratio to 16 / 0.020 s = 800/s (target ≥ 0.85); duplicate upstream
 *    effects (target 0); where each cancel's time goes (SDK command and upstream timers),
 *    how busy the machine was.
 * 2. Throughput at concurrency 1, 4, 8, 16, 32 → bench/sweep-throughput.svg.
 * 3. The shared budget against a sandbox that enforces 300 requests/min per app (real
 *    one-minute windows, nothing scaled): 500 intents with PROCURE_CORE_BUDGET_PER_MINUTE
 *    300 — the limit itself, no safety factor — and background share 1, so the run crosses
 *    one window boundary (a little over a minute). Target: no 429, and the sandbox never
 *    sees more than 300 requests in any sliding minute.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { SweepSummary } from "#core/expiry-sweep.ts";
import { SWEEP_PROGRESS_CHANNEL, type SweepResult } from "#handlers/expiry-sweep.ts";
import { DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import {
  type RunningProcureCoreSandbox,
  startProcureCoreSandbox,
} from "#local/sandboxes/procure-core/procure-core-sandbox.ts";
import { identityOf, physicalName } from "#local/stack/lambda/local-function.ts";
import { createLambdaContext } from "#local/stack/lambda-context.ts";
import { scheduledEvent } from "#local/stack/schedule-runner.ts";
import { declaredFunction } from "#test/support/local-front-door.ts";
import { MemoryRingStore } from "#test/support/memory-ring-store.ts";
import { type BenchService, startBenchService } from "../support/bench-service.ts";
import { timeCommands } from "../support/command-timer.ts";
import { type ProfileSummary, profileCpu } from "../support/cpu-profile.ts";
import { childrenCpuMs, machineBusy } from "../support/machine.ts";
import { median, summarize } from "../support/stats.ts";
import { atLeast, atMost, exactly, figure, type Metric, type SuiteRun } from "../support/suite.ts";
import { assertWellFormedXml, renderLineChart } from "../support/svg-chart.ts";

const LATENCY_MS = 20;
const MAIN_INTENTS = 10_000;
const WARMUP_INTENTS = 2_000;
const MAIN_CONCURRENCY = 16;
const THEORETICAL = MAIN_CONCURRENCY / (LATENCY_MS / 1000);
const RATIO_TARGET = 0.85;
const LEVELS = [1, 4, 8, 16, 32] as const;
const RATE_LIMIT = 300;
const BUDGET_PER_MINUTE = RATE_LIMIT;
/** A budget above what the unlimited runs need (~8,000 a minute at most), kept in memory (no DynamoDB round trip). */
const UNLIMITED = 10_000;
/** Above one window's 300 requests, so the run crosses a window boundary (about a minute). */
const LIMITED_INTENTS = 500;
const CHART = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "sweep-throughput.svg");

/** The sweep as local/stack/local-functions.ts declares it (its timeout is the budget the suite measures within). */
const SWEEP_FUNCTION = declaredFunction("expiry-sweep");

/** Intents per concurrency level: 50 per slot, 100 to 800 (a few seconds each on this machine). */
const intentsFor = (concurrency: number): number => Math.max(100, Math.min(800, concurrency * 50));
const PROFILED_INTENTS = 800;

interface SweepRun {
  result: SweepResult;
  wallMs: number;
  cancelsPerSecond: number;
  eventLoopUtilization: number;
  machineBusyShare: number;
  processCpuShare: number;
  /** CPU ms per cancelled intent: this process (service, sandbox, front door) and DynamoDB Local's JVM. */
  cpuMsPerCancel: { node: number; dynamoDbLocal: number };
}

/** Runs the exported sweep handler once, with the given concurrency and Procure-Core budget per minute. */
const sweepOnce = async (
  service: BenchService,
  concurrency: number,
  budgetPerMinute: number,
  extra: {
    procureCoreUrl?: string;
    fetch?: typeof fetch;
    report?: (message: string) => void;
    reportEvery?: number;
  } = {},
): Promise<SweepRun> => {
  const { report, reportEvery = 2_000, ...containerExtra } = extra;
  await service.useContainer({
    ...(budgetPerMinute === UNLIMITED ? { budgetStore: new MemoryRingStore() } : {}),
    change: (config) => ({
      ...config,
      sweep: { ...config.sweep, concurrency },
      budget: {
        ...config.budget,
        perMinute: { ...config.budget.perMinute, "procure-core": budgetPerMinute },
        backgroundShare: 1,
      },
    }),
    ...containerExtra,
  });
  // The handler publishes its tally on a diagnostics channel after every cancel.
  let reported = 0;
  const onProgress = (message: unknown): void => {
    const summary = message as SweepSummary;
    const done = summary.cancelled + summary.skipped + summary.failed + summary.pending;
    if (report && done >= reported + reportEvery) {
      reported = done;
      report(
        `  … ${done} done, ${Math.round(summary.cancelled / (summary.durationMs / 1000))} cancels/s so far`,
      );
    }
  };
  subscribe(SWEEP_PROGRESS_CHANNEL, onProgress);
  const elu = performance.eventLoopUtilization();
  const cpuBefore = cpus();
  const processCpu = process.cpuUsage();
  const jvmBefore = childrenCpuMs().java ?? 0;
  const started = performance.now();
  const result = (await service.kit.handlers.sweep(
    scheduledEvent(physicalName(SWEEP_FUNCTION), false),
    createLambdaContext(identityOf(SWEEP_FUNCTION)),
  )) as SweepResult;
  const wallMs = performance.now() - started;
  unsubscribe(SWEEP_PROGRESS_CHANNEL, onProgress);
  const usedCpu = process.cpuUsage(processCpu);
  const jvmMs = (childrenCpuMs().java ?? 0) - jvmBefore;
  if (result.listError) throw new Error(`the sweep could not list intents: ${result.listError}`);
  if (result.stoppedEarly) throw new Error("the sweep stopped early (deadline)");
  return {
    result,
    wallMs,
    // The sweep's own clock: from its first listing to its last cancel.
    cancelsPerSecond: result.cancelled / (result.durationMs / 1000),
    eventLoopUtilization: Math.round(performance.eventLoopUtilization(elu).utilization * 1000) / 1000,
    machineBusyShare: machineBusy(cpuBefore, cpus()).busyShare,
    processCpuShare: Math.round(((usedCpu.user + usedCpu.system) / 1000 / wallMs) * 1000) / 1000,
    cpuMsPerCancel: {
      node: Math.round(((usedCpu.user + usedCpu.system) / 1000 / Math.max(1, result.cancelled)) * 100) / 100,
      dynamoDbLocal: Math.round((jvmMs / Math.max(1, result.cancelled)) * 100) / 100,
    },
  };
};

/** Upstream calls timed from request to response headers. */
const timedFetch = () => {
  const samples: number[] = [];
  const timed: typeof fetch = async (input, init) => {
    const started = performance.now();
    const response = await fetch(input, init);
    samples.push(performance.now() - started);
    return response;
  };
  return { fetch: timed, samples };
};

const duplicates = (sandbox: { effects: { all(): Record<string, number> } }, ids: readonly string[]) => {
  const all = sandbox.effects.all();
  let duplicated = 0;
  let missing = 0;
  for (const id of ids) {
    const count = all[id] ?? 0;
    if (count > 1) duplicated++;
    if (count === 0) missing++;
  }
  return { duplicated, missing };
};

export const run: SuiteRun = async ({ progress }) => {
  const service = await startBenchService("bench-sweep");
  let limited: RunningProcureCoreSandbox | undefined;
  try {
    const sandbox = service.kit.procureCore;
    sandbox.faults.update({ latencyMs: LATENCY_MS });

    progress(`warm-up sweep: ${WARMUP_INTENTS} intents at concurrency 16 (JIT, DynamoDB Local's JVM)`);
    sandbox.intents.generateExpired(WARMUP_INTENTS, { appId: DEMO_APP_ID, prefix: "sw_warmup_" });
    await sweepOnce(service, MAIN_CONCURRENCY, UNLIMITED);

    // ---- 1. 10,000 intents at concurrency 16.
    progress(
      `${MAIN_INTENTS.toLocaleString("en-US")} expired intents, latency ${LATENCY_MS} ms, concurrency 16`,
    );
    const mainIds = sandbox.intents.generateExpired(MAIN_INTENTS, { appId: DEMO_APP_ID, prefix: "sw_main_" });
    const upstream = timedFetch();
    const dynamoTimer = timeCommands(service.kit.dynamo);
    const requestsBefore = sandbox.requests.count();
    const main = await sweepOnce(service, MAIN_CONCURRENCY, UNLIMITED, {
      fetch: upstream.fetch,
      report: progress,
    });
    const mainRequests = sandbox.requests.count() - requestsBefore;
    const commandMs = Object.fromEntries(
      Object.entries(dynamoTimer.samples()).map(([name, samples]) => [name, summarize(samples)]),
    );
    dynamoTimer.detach();
    const mainEffects = duplicates(sandbox, mainIds);
    const ratio = main.cancelsPerSecond / THEORETICAL;
    const cpuPerCancel = main.cpuMsPerCancel.node + main.cpuMsPerCancel.dynamoDbLocal;
    const cpuCeiling = (availableParallelism() * 1000) / cpuPerCancel;
    progress(
      `${Math.round(main.cancelsPerSecond)} cancels/s (ratio ${ratio.toFixed(2)}), machine busy ${(main.machineBusyShare * 100).toFixed(0)}%`,
    );

    // ---- 2. Throughput by concurrency.
    const levels: { concurrency: number; intents: number; cancelsPerSecond: number; theoretical: number }[] =
      [];
    for (const concurrency of LEVELS) {
      const intents = intentsFor(concurrency);
      sandbox.intents.generateExpired(intents, { appId: DEMO_APP_ID, prefix: `sw_c${concurrency}_` });
      const level = await sweepOnce(service, concurrency, UNLIMITED);
      if (level.result.cancelled !== intents) {
        throw new Error(`concurrency ${concurrency}: ${level.result.cancelled} of ${intents} cancelled`);
      }
      levels.push({
        concurrency,
        intents,
        cancelsPerSecond: Math.round(level.cancelsPerSecond * 10) / 10,
        theoretical: concurrency / (LATENCY_MS / 1000),
      });
      progress(
        `concurrency ${concurrency}: ${Math.round(level.cancelsPerSecond)} cancels/s over ${intents} intents`,
      );
    }
    // Where this process's CPU goes during a sweep (sandbox, front door and service all live here).
    progress(`profiling a ${PROFILED_INTENTS}-intent sweep at concurrency 16`);
    sandbox.intents.generateExpired(PROFILED_INTENTS, { appId: DEMO_APP_ID, prefix: "sw_profiled_" });
    const profiled = await profileCpu(() => sweepOnce(service, MAIN_CONCURRENCY, UNLIMITED));
    const profile: ProfileSummary = profiled.profile;
    const cpuMsPerCancel = profile.totalMs / profiled.result.result.cancelled;

    const svg = renderLineChart({
      title: "Expiry sweep throughput by concurrency",
      subtitle: `exported sweep handler, DynamoDB Local, Procure-Core sandbox at ${LATENCY_MS} ms, ${new Date().toISOString().slice(0, 10)}`,
      xLabel: "concurrency (cancels in flight, log scale)",
      yLabel: "cancels per second",
      xTicks: [...LEVELS],
      logX: true,
      series: [
        {
          name: "measured",
          color: "#1f6feb",
          labels: true,
          points: levels.map((level) => ({ x: level.concurrency, y: level.cancelsPerSecond })),
        },
        {
          name: "CPU-bound ceiling",
          color: "#cf222e",
          dashed: true,
          points: [
            { x: Math.min(...LEVELS), y: Math.round(cpuCeiling) },
            { x: Math.max(...LEVELS), y: Math.round(cpuCeiling) },
          ],
        },
        {
          name: `ideal: c / ${LATENCY_MS} ms`,
          color: "#8b949e",
          dashed: true,
          points: levels.map((level) => ({ x: level.concurrency, y: level.theoretical })),
        },
      ],
    });
    assertWellFormedXml(svg);
    await writeFile(CHART, svg);

    // ---- 3. The shared budget against a rate-limited Procure-Core.
    progress(
      `rate limit: ${LIMITED_INTENTS} intents, sandbox ${RATE_LIMIT}/min per app, PROCURE_CORE_BUDGET_PER_MINUTE ${BUDGET_PER_MINUTE} (a little over a minute)`,
    );
    limited = await startProcureCoreSandbox({
      demo: false,
      rateLimitPerMinute: RATE_LIMIT,
      faults: { latencyMs: LATENCY_MS },
    });
    const limitedIds = limited.intents.generateExpired(LIMITED_INTENTS, {
      appId: DEMO_APP_ID,
      prefix: "sw_rl_",
    });
    const gated = await sweepOnce(service, MAIN_CONCURRENCY, BUDGET_PER_MINUTE, {
      procureCoreUrl: limited.url,
      report: progress,
      reportEvery: 100,
    });
    const limitedEffects = duplicates(limited, limitedIds);
    const refused = limited.rateLimit.refused;
    const sandboxPeak = limited.rateLimit.peakPerMinute(DEMO_APP_ID);
    progress(
      `rate limit: ${gated.result.cancelled} cancelled in ${(gated.wallMs / 1000).toFixed(0)} s, ${refused} × 429, sandbox peak ${sandboxPeak}/min`,
    );

    const upstreamSummary = summarize(upstream.samples);
    const metrics: Metric[] = [
      figure("intents cancelled (concurrency 16)", main.result.cancelled, "", 0),
      figure("sweep duration", main.result.durationMs / 1000, "s", 1),
      figure("cancels per second", main.cancelsPerSecond, "/s", 0),
      atLeast(`ratio to ${THEORETICAL}/s (16 / ${LATENCY_MS} ms)`, ratio, RATIO_TARGET, ""),
      exactly("intents with duplicate upstream effects", mainEffects.duplicated, 0),
      exactly("intents left without an upstream effect", mainEffects.missing, 0),
      figure("Procure-Core call p50 (20 ms injected)", upstreamSummary.p50, "ms", 1),
      ...Object.entries(commandMs).map(([name, summary]) =>
        figure(`${name} p50 under load`, summary.p50, "ms", 1),
      ),
      figure("machine busy (both cores) during the sweep", main.machineBusyShare * 100, "%", 0),
      figure("this process's CPU during the sweep", main.processCpuShare * 100, "% of a core", 0),
      figure(
        "CPU per cancel: this process (service + sandbox + front door)",
        main.cpuMsPerCancel.node,
        "ms",
        2,
      ),
      figure("CPU per cancel: DynamoDB Local's JVM", main.cpuMsPerCancel.dynamoDbLocal, "ms", 2),
      figure(
        `CPU-bound ceiling on ${availableParallelism()} cores (cores / CPU per cancel)`,
        cpuCeiling,
        "/s",
        0,
      ),
      ...levels.map((level) =>
        figure(`concurrency ${level.concurrency}: cancels per second`, level.cancelsPerSecond, "/s", 0),
      ),
      figure("chart", path.relative(process.cwd(), CHART)),
      figure("rate-limited sweep: intents cancelled", gated.result.cancelled, "", 0),
      figure("rate-limited sweep: duration", gated.wallMs / 1000, "s", 0),
      exactly("rate-limited sweep: 429s received", refused, 0),
      atMost("rate-limited sweep: peak requests/min seen by the sandbox", sandboxPeak, RATE_LIMIT, "", 0),
      figure("rate-limited sweep: requests the budget let through", gated.result.budget.requests, "", 0),
      figure(
        "rate-limited sweep: time its 16 workers waited for budget slots, summed",
        gated.result.budget.waitedMs / 1000,
        "s",
        0,
      ),
      exactly("rate-limited sweep: duplicate upstream effects", limitedEffects.duplicated, 0),
    ];

    const notes: string[] = [];
    const at = (concurrency: number) =>
      levels.find((level) => level.concurrency === concurrency)?.cancelsPerSecond ?? 0;
    const plateau = at(32) <= at(16) * 1.1;
    if (ratio < RATIO_TARGET) {
      const dynamoP50 = Object.values(commandMs).reduce((sum, summary) => sum + summary.p50, 0);
      const perCancel = (MAIN_CONCURRENCY / main.cancelsPerSecond) * 1000;
      notes.push(
        `sweep: each cancel holds one of the 16 slots for ~${perCancel.toFixed(1)} ms, not ${LATENCY_MS}: ` +
          `Procure-Core p50 ${upstreamSummary.p50.toFixed(1)} ms + DynamoDB (PutItem + TransactWriteItems) p50 ${dynamoP50.toFixed(1)} ms, ` +
          `run one after another by runOnce (no event publish: the outbox relay does it from the stream); the machine was ${(main.machineBusyShare * 100).toFixed(0)}% busy ` +
          `(this process ${(main.processCpuShare * 100).toFixed(0)}% of a core, event-loop utilisation ${(main.eventLoopUtilization * 100).toFixed(0)}%; DynamoDB Local's JVM shares the 2 cores). ` +
          "The theoretical 800/s counts only the upstream's 20 ms: at 0.85 a slot may hold a cancel ~23.5 ms, leaving ~3.5 ms for the two DynamoDB writes; " +
          "beyond that only more concurrency can make up for it, and only while CPU is left.",
      );
      notes.push(
        `sweep: the run is CPU-bound, not latency-bound: ${main.cpuMsPerCancel.node} ms (this process) + ${main.cpuMsPerCancel.dynamoDbLocal} ms ` +
          `(DynamoDB Local's JVM) of CPU per cancel caps ${availableParallelism()} cores at ~${Math.round(cpuCeiling)} cancels/s before anything else on the machine takes its share; ` +
          `${plateau ? "concurrency beyond 16 adds nothing (chart). " : ""}profile of this process (${cpuMsPerCancel.toFixed(2)} ms/cancel under the profiler), self time by place: ${profile.byPlace
            .slice(0, 8)
            .map((spot) => `${spot.where} ${(spot.share * 100).toFixed(0)}%`)
            .join(", ")}`,
      );
    }
    if (sandboxPeak > BUDGET_PER_MINUTE) {
      notes.push(
        `sweep: the sandbox saw ${sandboxPeak} requests in one sliding minute with a budget of ${BUDGET_PER_MINUTE}: ` +
          "some requests reached it later than UPSTREAM_BUDGET_MARGIN_MS / 2 after their slot (a saturated machine); a larger margin covers that.",
      );
    }
    return {
      metrics,
      notes,
      details: {
        latencyMs: LATENCY_MS,
        main: {
          intents: MAIN_INTENTS,
          concurrency: MAIN_CONCURRENCY,
          summary: main.result,
          wallMs: Math.round(main.wallMs),
          cancelsPerSecond: Math.round(main.cancelsPerSecond * 10) / 10,
          ratioToTheoretical: Math.round(ratio * 1000) / 1000,
          upstreamRequests: mainRequests,
          upstreamMs: upstreamSummary,
          sdkCommandMs: commandMs,
          eventLoopUtilization: main.eventLoopUtilization,
          machineBusyShare: main.machineBusyShare,
          processCpuShare: main.processCpuShare,
          cpuMsPerCancel: main.cpuMsPerCancel,
          cpuBoundCeilingPerSecond: Math.round(cpuCeiling),
          effects: mainEffects,
        },
        byConcurrency: levels,
        profile: { intents: PROFILED_INTENTS, cpuMsPerCancel, ...profile },
        chart: path.relative(process.cwd(), CHART),
        rateLimited: {
          intents: LIMITED_INTENTS,
          sandboxLimitPerMinute: RATE_LIMIT,
          budgetPerMinute: BUDGET_PER_MINUTE,
          window: "real 60 s windows in both the sandbox and the budget (nothing scaled)",
          summary: gated.result,
          wallMs: Math.round(gated.wallMs),
          refused429: refused,
          sandboxPeakPerMinute: sandboxPeak,
          budgetRequests: gated.result.budget.requests,
          budgetWaitedMs: gated.result.budget.waitedMs,
          effects: limitedEffects,
        },
        medianUpstreamMs: median(upstream.samples),
      },
    };
  } finally {
    await limited?.close();
    await service.close();
  }
};

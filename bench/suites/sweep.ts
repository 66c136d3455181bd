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
 *
 * This file runs the three steps; beside it in sweep/: workload.ts (the intents, latency,
 * concurrency levels and rate limit), measured-sweep.ts (one sweep, measured),
 * throughput-chart.ts (the chart) and figures.ts (metrics, notes and details).
 */

import { DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import {
  type RunningProcureCoreSandbox,
  startProcureCoreSandbox,
} from "#local/sandboxes/procure-core/procure-core-sandbox.ts";
import { startBenchService } from "../support/bench-service.ts";
import { timeCommands } from "../support/command-timer.ts";
import { profileCpu } from "../support/cpu-profile.ts";
import { summarize } from "../support/stats.ts";
import type { SuiteRun } from "../support/suite.ts";
import { cpuBoundCeiling, ratioToTheoretical, sweepOutcome } from "./sweep/figures.ts";
import { sweepOnce, timedFetch, upstreamEffects } from "./sweep/measured-sweep.ts";
import { type ThroughputLevel, writeThroughputChart } from "./sweep/throughput-chart.ts";
import {
  BUDGET_PER_MINUTE,
  intentsFor,
  LATENCY_MS,
  LEVELS,
  LIMITED_INTENTS,
  MAIN_CONCURRENCY,
  MAIN_INTENTS,
  PROFILED_INTENTS,
  RATE_LIMIT,
  UNLIMITED,
  WARMUP_INTENTS,
} from "./sweep/workload.ts";

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
    const mainEffects = upstreamEffects(sandbox, mainIds);
    const ratio = ratioToTheoretical(main);
    progress(
      `${Math.round(main.cancelsPerSecond)} cancels/s (ratio ${ratio.toFixed(2)}), machine busy ${(main.machineBusyShare * 100).toFixed(0)}%`,
    );

    // ---- 2. Throughput by concurrency.
    const levels: ThroughputLevel[] = [];
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
    const profiledCpuMsPerCancel = profiled.profile.totalMs / profiled.result.result.cancelled;
    await writeThroughputChart(levels, cpuBoundCeiling(main));

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
    const limitedEffects = upstreamEffects(limited, limitedIds);
    const refused = limited.rateLimit.refused;
    const sandboxPeak = limited.rateLimit.peakPerMinute(DEMO_APP_ID);
    progress(
      `rate limit: ${gated.result.cancelled} cancelled in ${(gated.wallMs / 1000).toFixed(0)} s, ${refused} × 429, sandbox peak ${sandboxPeak}/min`,
    );

    return sweepOutcome({
      main,
      mainEffects,
      mainRequests,
      upstreamSamples: upstream.samples,
      commandMs,
      levels,
      profile: profiled.profile,
      profiledCpuMsPerCancel,
      gated,
      limitedEffects,
      refused,
      sandboxPeak,
    });
  } finally {
    await limited?.close();
    await service.close();
  }
};

/**
 * What suite 4 (../sweep.ts) reports from its three steps: the metrics with their targets,
 * the notes that say what limits a missed target (with the evidence), and the details for
 * bench/results.json. Its siblings: workload.ts (what is swept), measured-sweep.ts (one
 * sweep, measured), throughput-chart.ts (the chart).
 */
import { availableParallelism } from "node:os";
import path from "node:path";
import type { ProfileSummary } from "../../support/cpu-profile.ts";
import { median, type Summary, summarize } from "../../support/stats.ts";
import { atLeast, atMost, exactly, figure, type Metric, type SuiteOutcome } from "../../support/suite.ts";
import type { SweepRun, UpstreamEffects } from "./measured-sweep.ts";
import { CHART, type ThroughputLevel } from "./throughput-chart.ts";
import {
  BUDGET_PER_MINUTE,
  LATENCY_MS,
  LIMITED_INTENTS,
  MAIN_CONCURRENCY,
  MAIN_INTENTS,
  PROFILED_INTENTS,
  RATE_LIMIT,
  RATIO_TARGET,
  THEORETICAL,
} from "./workload.ts";

/** Everything the suite's three steps measured. */
export interface SweepMeasurements {
  /** Step 1: 10,000 intents at concurrency 16. */
  main: SweepRun;
  mainEffects: UpstreamEffects;
  mainRequests: number;
  /** Step 1's Procure-Core calls, ms from request to response headers. */
  upstreamSamples: readonly number[];
  /** Step 1's DynamoDB commands by name. */
  commandMs: Record<string, Summary>;
  /** Step 2: throughput by concurrency, and the profiled sweep. */
  levels: ThroughputLevel[];
  profile: ProfileSummary;
  profiledCpuMsPerCancel: number;
  /** Step 3: the rate-limited sweep. */
  gated: SweepRun;
  limitedEffects: UpstreamEffects;
  refused: number;
  sandboxPeak: number;
}

/** A sweep's cancels per second against 16 / 20 ms. */
export const ratioToTheoretical = (run: SweepRun): number => run.cancelsPerSecond / THEORETICAL;

/** Cancels per second the machine's cores allow at a sweep's CPU per cancel (its own and DynamoDB Local's). */
export const cpuBoundCeiling = (run: SweepRun): number =>
  (availableParallelism() * 1000) / (run.cpuMsPerCancel.node + run.cpuMsPerCancel.dynamoDbLocal);

export const sweepOutcome = (measured: SweepMeasurements): SuiteOutcome => {
  const { main, mainEffects, commandMs, levels, profile, gated, limitedEffects, refused, sandboxPeak } =
    measured;
  const ratio = ratioToTheoretical(main);
  const cpuCeiling = cpuBoundCeiling(main);
  const upstreamSummary = summarize(measured.upstreamSamples);
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
        `${plateau ? "concurrency beyond 16 adds nothing (chart). " : ""}profile of this process (${measured.profiledCpuMsPerCancel.toFixed(2)} ms/cancel under the profiler), self time by place: ${profile.byPlace
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
        upstreamRequests: measured.mainRequests,
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
      profile: { intents: PROFILED_INTENTS, cpuMsPerCancel: measured.profiledCpuMsPerCancel, ...profile },
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
      medianUpstreamMs: median(measured.upstreamSamples),
    },
  };
};

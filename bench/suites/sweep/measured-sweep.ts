/**
 * One sweep of suite 4 (../sweep.ts), measured: the exported sweep handler run once with a
 * given concurrency and Procure-Core budget, its throughput by its own clock, the CPU it
 * took (this process and DynamoDB Local's JVM) and how busy the machine was; upstream calls
 * timed; each intent's upstream effects counted. Its siblings: workload.ts (what is swept),
 * throughput-chart.ts (the chart), figures.ts (metrics, notes and details).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import type { SweepSummary } from "#core/expiry-sweep.ts";
import { SWEEP_PROGRESS_CHANNEL, type SweepResult } from "#handlers/expiry-sweep.ts";
import { identityOf, physicalName } from "#local/stack/lambda/local-function.ts";
import { createLambdaContext } from "#local/stack/lambda-context.ts";
import { scheduledEvent } from "#local/stack/schedule-runner.ts";
import { declaredFunction } from "#test/support/local-front-door.ts";
import { MemoryRingStore } from "#test/support/memory-ring-store.ts";
import type { BenchService } from "../../support/bench-service.ts";
import { childrenCpuMs, machineBusy } from "../../support/machine.ts";
import { UNLIMITED } from "./workload.ts";

/** The sweep as local/stack/local-functions.ts declares it (its timeout is the budget the suite measures within). */
const SWEEP_FUNCTION = declaredFunction("expiry-sweep");

export interface SweepRun {
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
export const sweepOnce = async (
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
export const timedFetch = () => {
  const samples: number[] = [];
  const timed: typeof fetch = async (input, init) => {
    const started = performance.now();
    const response = await fetch(input, init);
    samples.push(performance.now() - started);
    return response;
  };
  return { fetch: timed, samples };
};

export interface UpstreamEffects {
  /** Intents the sandbox cancelled more than once. */
  duplicated: number;
  /** Intents the sandbox never cancelled. */
  missing: number;
}

/** How many of `ids` the sandbox cancelled more than once, and how many never. */
export const upstreamEffects = (
  sandbox: { effects: { all(): Record<string, number> } },
  ids: readonly string[],
): UpstreamEffects => {
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

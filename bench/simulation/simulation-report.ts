/**
 * What one simulation run (run-simulation.ts) reports, and how it is worked out from what the
 * run kept: the HTTP callers' latencies (while bus work contested the upstream budget, and once
 * the start's rush was over) and, for each upstream, how much of its budget background work
 * used, from the audit table and the sandboxes' own counters. report-table.ts prints it.
 */
import { percentile } from "../support/stats.ts";
import type { BulkReport } from "./bulk-job.ts";
import type { CpuReport } from "./cpu-account.ts";
import { type HttpSample, type LatencyWindow, latencyByWindow } from "./load.ts";
import { type AuditRow, type BusAccount, upstreamOf } from "./outcomes.ts";
import { SERVICE_A55_CLIENT, SERVICE_PROCURE_CORE_APP, type SimulatedService } from "./simulated-service.ts";
import type { SimulationOptions } from "./simulation-options.ts";
import type { WindowRequests } from "./upstream-requests.ts";

export interface UpstreamReport {
  limit: number;
  windowSeconds: number;
  /** Most requests of the service within any one window, as the sandbox measured them (429s included). */
  peakPerWindow: number;
  /** Requests the sandbox refused with 429. */
  refused: number;
  /** Upstream effects (cancels that changed a target). */
  effects: number;
  /** Final outcomes of background work (bus, sweep, and cancels the continuation finished) while bus work waited for this upstream. */
  backgroundFinals: number;
  /** How long bus work waited for this upstream (from the start to its last final outcome, or the end). */
  backgroundSeconds: number;
  backgroundPerMinute: number;
  /** What the budget let background work send in that time: its share per window × the windows begun. */
  backgroundAllowed: number;
  /** `backgroundFinals` over `backgroundAllowed`. */
  backgroundShareOfBudget: number;
}

/** When the run's start (the burst put on the bus, the sweep's first pages, every container's first work) is over. */
const SETTLED_AFTER_MS = 30_000;

/** The service's budget window: a minute plus its default margin (UPSTREAM_BUDGET_MARGIN_MS). */
export const BUDGET_WINDOW_MS = 61_000;

export interface SimulationReport {
  options: Omit<SimulationOptions, "dynamoEndpoint">;
  startedAt: string;
  durationSeconds: number;
  bus: BusAccount & { drainedAfterSeconds: number | undefined };
  http: {
    sent: number;
    statuses: Record<string, number>;
    /** While bus work waited (the budget contested). */
    contested: { count: number; p50: number; p99: number };
    /** Answers that were 429. */
    rateLimited: { count: number; p50: number; p99: number };
    /** The same two from `SETTLED_AFTER_MS` on, once the start's rush (the burst, the sweep's first pages) is over. */
    settled: {
      contested: { count: number; p50: number; p99: number };
      rateLimited: { count: number; p50: number; p99: number };
    };
    /** Latency by 15 s window of send time. */
    byWindow: LatencyWindow[];
  };
  sweep: { intents: number; cancelled: number; runs: number; lastSummary: unknown };
  /**
   * The bulk job (`--bulk`), when there was one; `requests`: Procure-Core's requests in each of
   * its measuring windows, by what sent them (where the background share went).
   */
  bulk?: BulkReport & { requests: WindowRequests[]; requestsNotSeen: number };
  upstreams: { a55: UpstreamReport; "procure-core": UpstreamReport };
  functions: {
    name: string;
    containers: number;
    coldStarts: number;
    invocations: number;
    errors: number;
    timeouts: number;
    peakBusy: number;
  }[];
  platformErrors: { count: number; first: string[] };
  /** CPU from the load's start to its end (cpu-account.ts). */
  cpu: CpuReport;
}

/** What the run kept that an upstream's report reads. */
export interface UpstreamEvidence {
  options: SimulationOptions;
  service: SimulatedService;
  bus: BusAccount;
  rows: readonly AuditRow[];
  startedAt: number;
  endedAt: number;
}

/** How the run treated one upstream: its peak, its refusals, and background work's share of its budget. */
export const upstreamReport = (
  name: "a55" | "procure-core",
  { options, service, bus, rows, startedAt, endedAt }: UpstreamEvidence,
): UpstreamReport => {
  const limits = name === "a55" ? options.a55 : options.procureCore;
  const sandbox = name === "a55" ? service.a55 : service.procureCore;
  const peak =
    name === "a55"
      ? service.a55.rateLimit.peakPerWindow(SERVICE_A55_CLIENT)
      : service.procureCore.rateLimit.peakPerMinute(SERVICE_PROCURE_CORE_APP);
  // Bus work for this upstream waited from the start until its last final outcome (or the end).
  const waitedUntil = bus.queued > 0 || bus.lastFinalAt[name] === 0 ? endedAt : bus.lastFinalAt[name];
  const minutes = Math.max(1 / 60, (waitedUntil - startedAt) / 60_000);
  // Targets, not records: a cancel left open and finished later has more than one final record.
  const background = new Set(
    rows
      .filter(
        (r) =>
          r.final &&
          r.outcome !== "PENDING" &&
          (r.trigger === "bus" || r.trigger === "schedule" || r.via === "continuation") &&
          upstreamOf(r.targetType) === name &&
          r.at <= waitedUntil,
      )
      .map((r) => r.targetId),
  ).size;
  const perMinute = background / minutes;
  // The budget lets background work send its share at once, then again each window (a minute
  // plus the margin): what it allowed in this time is its share times the windows begun.
  const backgroundPerWindow = Math.floor(
    (limits.limit * 60 * options.backgroundShare) / limits.windowSeconds,
  );
  const windows = Math.ceil((waitedUntil - startedAt) / BUDGET_WINDOW_MS);
  const allowed = backgroundPerWindow * windows;
  return {
    limit: limits.limit,
    windowSeconds: limits.windowSeconds,
    peakPerWindow: peak,
    refused: sandbox.rateLimit.refused,
    effects: sandbox.effects.total(),
    backgroundFinals: background,
    backgroundSeconds: Math.round((waitedUntil - startedAt) / 1000),
    backgroundPerMinute: Number(perMinute.toFixed(1)),
    backgroundAllowed: allowed,
    backgroundShareOfBudget: Number((background / allowed).toFixed(2)),
  };
};

const summary = (values: number[]) => ({
  count: values.length,
  p50: percentile(values, 50),
  p99: percentile(values, 99),
});

/**
 * The HTTP callers' answers: latencies while bus work waited (`drainedAt`: when it stopped
 * waiting, if it did) and of 429s, the same from `SETTLED_AFTER_MS` on, and by 15 s window.
 */
export const httpReport = (
  samples: readonly HttpSample[],
  startedAt: number,
  drainedAt: number | undefined,
): SimulationReport["http"] => {
  const contested = samples
    .filter((s) => drainedAt === undefined || s.sentAt < drainedAt)
    .map((s) => s.latencyMs);
  const limited = samples.filter((s) => s.status === 429).map((s) => s.latencyMs);
  const settledSamples = samples.filter((s) => s.sentAt >= startedAt + SETTLED_AFTER_MS);
  const settledContested = settledSamples
    .filter((s) => drainedAt === undefined || s.sentAt < drainedAt)
    .map((s) => s.latencyMs);
  const settledLimited = settledSamples.filter((s) => s.status === 429).map((s) => s.latencyMs);
  const statuses: Record<string, number> = {};
  for (const sample of samples) statuses[sample.status] = (statuses[sample.status] ?? 0) + 1;
  return {
    sent: samples.length,
    statuses,
    contested: summary(contested),
    rateLimited: summary(limited),
    settled: {
      contested: summary(settledContested),
      rateLimited: summary(settledLimited),
    },
    byWindow: latencyByWindow(samples, startedAt, 15),
  };
};

/**
 * One simulation run (issue 11, point 5): the service as Lambda runs it, fed by the bus and
 * its queue and by HTTP callers, against both sandboxes at their limits; then what happened,
 * from the audit table, the queues and the sandboxes' own counters.
 */

import { randomUUID } from "node:crypto";
import { percentile } from "../support/stats.ts";
import { type BulkJobView, type BulkReport, bulkReport, submitBulkJob, waitForBulkJob } from "./bulk-job.ts";
import { type CpuReport, startCpuAccount } from "./cpu-account.ts";
import {
  type BusCancel,
  type HttpSample,
  type LatencyWindow,
  latencyByWindow,
  putBurst,
  runHttpLoad,
  type SimTarget,
  warmUpHttp,
} from "./load.ts";
import { accountBus, type BusAccount, scanAudit, upstreamOf } from "./outcomes.ts";
import {
  SERVICE_A55_CLIENT,
  SERVICE_PROCURE_CORE_APP,
  SIM_WALLET,
  type SimulatedService,
  startSimulatedService,
} from "./simulated-service.ts";
import type { SimulationOptions } from "./simulation-options.ts";
import { recordRequests, requestsByWindow, type WindowRequests } from "./upstream-requests.ts";

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
const BUDGET_WINDOW_MS = 61_000;

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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const newTarget = (service: SimulatedService, type: "intent" | "charge", createdAt?: number): SimTarget => {
  if (type === "charge") {
    return {
      type,
      id: service.a55.charges.add({ chargeUuid: randomUUID(), walletUuid: SIM_WALLET }).chargeUuid,
    };
  }
  const id = `sim_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
  service.procureCore.intents.add({
    id,
    appId: SERVICE_PROCURE_CORE_APP,
    status: "SUBMITTED",
    ...(createdAt === undefined ? {} : { createdAt }),
  });
  return { type, id };
};

/** Picks charge or intent so that `share` of the first n picks are charges, evenly spread. */
const mixer = (share: number) => {
  let n = 0;
  return (): "intent" | "charge" => {
    n += 1;
    return Math.floor(n * share) > Math.floor((n - 1) * share) ? "charge" : "intent";
  };
};

export const runSimulation = async (
  options: SimulationOptions,
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<SimulationReport> => {
  const service = await startSimulatedService(options);
  try {
    const { stack } = service;
    const queue = stack.sqs.byName("cancellation-local-cancel-requested");
    const deadLetters = stack.sqs.byName("cancellation-local-cancel-requested-failures");
    const consumer = stack.invokers.get("cancel-requested");
    const busMix = mixer(options.busChargeShare);
    const busTargets = Array.from({ length: options.busCancels }, () => newTarget(service, busMix()));
    const expiredAt = Date.now() - 2 * 24 * 3_600_000;
    const sweepTargets = Array.from({ length: options.sweepIntents }, () =>
      newTarget(service, "intent", expiredAt),
    );
    const bulkIntents = Array.from({ length: options.bulkItems }, () => newTarget(service, "intent").id);
    const httpMix = mixer(options.httpChargeShare);
    const samples: HttpSample[] = [];
    // Warm the HTTP containers first (Lambda keeps warm containers for a steady storefront; the
    // run measures the load, not this machine's first seconds of JIT and thread start-up).
    const httpContainers = stack.invokers.get("http-api")?.spec.workers ?? 1;
    if (options.httpPerSecond > 0) await warmUpHttp(stack.url, httpContainers * 10, httpContainers);
    const requests = recordRequests(service.procureCore.requests);
    const startedAt = Date.now();
    const cpuAccount = startCpuAccount(service.dynamoPid);
    const elapsed = (): number => Math.round((Date.now() - startedAt) / 1000);
    const busIdle = (): boolean => {
      const counts = queue.counts();
      return counts.visible + counts.inFlight + counts.delayed === 0 && (consumer?.stats().busy ?? 0) === 0;
    };
    let drainedAt: number | undefined;

    const progress =
      options.progressEverySeconds > 0
        ? setInterval(() => {
            const c = queue.counts();
            const statuses = samples.reduce<Record<number, number>>((acc, s) => {
              acc[s.status] = (acc[s.status] ?? 0) + 1;
              return acc;
            }, {});
            log(
              `t=${elapsed()}s  queue visible ${c.visible} in flight ${c.inFlight} delayed ${c.delayed}  ` +
                `dead letters ${deadLetters.counts().visible}  effects procure-core ${service.procureCore.effects.total()} ` +
                `a55 ${service.a55.effects.total()}  http ${samples.length} ${JSON.stringify(statuses)}`,
            );
          }, options.progressEverySeconds * 1000)
        : undefined;

    // The bulk job, submitted over HTTP at the start; the continuation's schedule drives it.
    const submittedAt = Date.now();
    const bulkJob: Promise<BulkJobView> | undefined =
      options.bulkItems > 0
        ? submitBulkJob(stack.url, bulkIntents).then((job) => {
            log(`t=${elapsed()}s  bulk job ${job.id} of ${options.bulkItems} intents submitted`);
            return job;
          })
        : undefined;
    // The bus burst, at once.
    let busCancels: BusCancel[] = [];
    const burst = putBurst(stack.url, busTargets).then((cancels) => {
      busCancels = cancels;
      log(`t=${elapsed()}s  ${cancels.length} Cancel Requested events on the bus`);
    });
    // The sweep: run again while expired intents remain and the run lasts (the schedule would, every 15 min).
    const sweeper = stack.schedules.get("expiry-sweep");
    const sweep = { runs: 0, cancelled: 0, lastSummary: undefined as unknown };
    const sweeping = (async () => {
      if (options.sweepIntents === 0 || !sweeper) return;
      while (sweep.cancelled < options.sweepIntents) {
        const result = await sweeper.run({ dryRun: false });
        sweep.runs += 1;
        sweep.lastSummary = result.ok ? result.summary : result.error;
        const summary = (result.ok ? result.summary : {}) as {
          cancelled?: number;
          pending?: number;
          scanned?: number;
        };
        sweep.cancelled += (summary.cancelled ?? 0) + (summary.pending ?? 0);
        log(`t=${elapsed()}s  sweep run ${sweep.runs}: ${JSON.stringify(sweep.lastSummary)}`);
        if (result.ok && summary.scanned === 0) break;
        if (Date.now() - startedAt > options.durationSeconds * 1000 && !options.drain) break;
        if (Date.now() - startedAt > (options.durationSeconds + options.maxDrainSeconds) * 1000) break;
      }
    })();
    // HTTP callers at a steady rate.
    const http =
      options.httpPerSecond > 0
        ? runHttpLoad(
            stack.url,
            options.httpPerSecond,
            options.durationSeconds,
            () => newTarget(service, httpMix()),
            (sample) => {
              samples.push(sample);
              // busIdle() walks the whole work queue (a bulk job's thousands of messages): last, and only
              // when there are bus cancels to have drained.
              if (drainedAt === undefined && busCancels.length > 0 && busIdle()) drainedAt = Date.now();
            },
          )
        : sleep(options.durationSeconds * 1000);

    await Promise.all([burst, http]);
    if (options.drain) {
      const deadline = Date.now() + options.maxDrainSeconds * 1000;
      while (!busIdle() && Date.now() < deadline) await sleep(500);
      await sweeping;
    }
    if (drainedAt === undefined && busIdle()) drainedAt = Date.now();
    let bulkEnd: BulkJobView | undefined;
    if (bulkJob) {
      bulkEnd = await waitForBulkJob(stack.url, (await bulkJob).id, options.maxDrainSeconds * 1000);
      log(`t=${elapsed()}s  bulk job ${bulkEnd.state}: ${JSON.stringify(bulkEnd.progress)}`);
    }
    if (progress) clearInterval(progress);
    const endedAt = Date.now();
    const cpu = cpuAccount.stop();
    const stamped = requests.stop();

    // What happened.
    const rows = await scanAudit(service.dynamo, service.tables.auditTable);
    const bus = accountBus(busCancels, rows, queue, deadLetters);
    const upstream = (name: "a55" | "procure-core"): UpstreamReport => {
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
    const contested = samples
      .filter((s) => drainedAt === undefined || s.sentAt < drainedAt)
      .map((s) => s.latencyMs);
    const limited = samples.filter((s) => s.status === 429).map((s) => s.latencyMs);
    const settledSamples = samples.filter((s) => s.sentAt >= startedAt + SETTLED_AFTER_MS);
    const settledContested = settledSamples
      .filter((s) => drainedAt === undefined || s.sentAt < drainedAt)
      .map((s) => s.latencyMs);
    const settledLimited = settledSamples.filter((s) => s.status === 429).map((s) => s.latencyMs);
    const summary = (values: number[]) => ({
      count: values.length,
      p50: percentile(values, 50),
      p99: percentile(values, 99),
    });
    const statuses: Record<string, number> = {};
    for (const sample of samples) statuses[sample.status] = (statuses[sample.status] ?? 0) + 1;
    const sweepIds = new Set(sweepTargets.map((t) => t.id));
    const withRequests = (job: BulkJobView, report: BulkReport) => ({
      ...report,
      // The measuring windows and the one the job ended in.
      requests: requestsByWindow(
        stamped,
        rows,
        new Set(bulkIntents),
        new Set(samples.filter((s) => s.target.type === "intent").map((s) => s.target.id)),
        job.startedAt ? Date.parse(job.startedAt) : submittedAt,
        BUDGET_WINDOW_MS,
        report.windows + 1,
      ),
      requestsNotSeen: requests.lost(),
    });
    const { dynamoEndpoint: _endpoint, ...shown } = options;
    return {
      options: shown,
      startedAt: new Date(startedAt).toISOString(),
      durationSeconds: Math.round((endedAt - startedAt) / 1000),
      bus: {
        ...bus,
        drainedAfterSeconds: drainedAt === undefined ? undefined : Math.round((drainedAt - startedAt) / 1000),
      },
      http: {
        sent: samples.length,
        statuses,
        contested: {
          count: contested.length,
          p50: percentile(contested, 50),
          p99: percentile(contested, 99),
        },
        rateLimited: { count: limited.length, p50: percentile(limited, 50), p99: percentile(limited, 99) },
        settled: {
          contested: summary(settledContested),
          rateLimited: summary(settledLimited),
        },
        byWindow: latencyByWindow(samples, startedAt, 15),
      },
      sweep: {
        intents: options.sweepIntents,
        cancelled: rows.filter((r) => r.final && r.trigger === "schedule" && sweepIds.has(r.targetId)).length,
        runs: sweep.runs,
        lastSummary: sweep.lastSummary,
      },
      ...(bulkEnd && {
        bulk: withRequests(
          bulkEnd,
          bulkReport(
            bulkEnd,
            options.bulkItems,
            rows,
            submittedAt,
            Math.floor(
              (options.procureCore.limit * 60 * options.backgroundShare) / options.procureCore.windowSeconds,
            ),
            BUDGET_WINDOW_MS,
          ),
        ),
      }),
      upstreams: { a55: upstream("a55"), "procure-core": upstream("procure-core") },
      functions: [...stack.invokers.values()].map((invoker) => {
        const { containers, coldStarts, invocations, errors, timeouts, peakBusy } = invoker.stats();
        return { name: invoker.spec.name, containers, coldStarts, invocations, errors, timeouts, peakBusy };
      }),
      platformErrors: { count: service.output.errorCount, first: service.output.errors.slice(0, 5) },
      cpu,
    };
  } finally {
    await service.close();
  }
};

/**
 * One simulation run (issue 11, point 5): the service as Lambda runs it, fed by the bus and
 * its queue and by HTTP callers, against both sandboxes at their limits; then what happened,
 * from the audit table, the queues and the sandboxes' own counters.
 *
 * This file runs the traffic (the bus burst, the sweep, the bulk job, HTTP callers) and
 * drains it. Its siblings: simulation-targets.ts (the charges and intents it cancels),
 * simulation-report.ts (the report and how it is worked out), load.ts (the callers),
 * outcomes.ts (reading the outcomes back), simulated-service.ts (the service and sandboxes).
 */

import { type BulkJobView, type BulkReport, bulkReport, submitBulkJob, waitForBulkJob } from "./bulk-job.ts";
import { startCpuAccount } from "./cpu-account.ts";
import { type BusCancel, type HttpSample, putBurst, runHttpLoad, warmUpHttp } from "./load.ts";
import { accountBus, scanAudit } from "./outcomes.ts";
import { startSimulatedService } from "./simulated-service.ts";
import type { SimulationOptions } from "./simulation-options.ts";
import { BUDGET_WINDOW_MS, httpReport, type SimulationReport, upstreamReport } from "./simulation-report.ts";
import { mixer, newTarget } from "./simulation-targets.ts";
import { recordRequests, requestsByWindow } from "./upstream-requests.ts";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
    const evidence = { options, service, bus, rows, startedAt, endedAt };
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
      http: httpReport(samples, startedAt, drainedAt),
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
      upstreams: {
        a55: upstreamReport("a55", evidence),
        "procure-core": upstreamReport("procure-core", evidence),
      },
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

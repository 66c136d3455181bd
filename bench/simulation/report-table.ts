/** The simulation's report as the Markdown table bench/README.md carries. */
import { describeCpu } from "./cpu-account.ts";
import type { SimulationReport } from "./simulation-report.ts";

const ms = (value: number): string => (Number.isNaN(value) ? "—" : `${Math.round(value)} ms`);

export const reportTable = (report: SimulationReport, command: string): string => {
  const { bus, http, sweep, upstreams, options } = report;
  const upstreamRows = (["a55", "procure-core"] as const).flatMap((name) => {
    const u = upstreams[name];
    return [
      `| ${name}: peak requests in any ${u.windowSeconds} s (sandbox, sliding, 429s included) | ${u.peakPerWindow} (limit ${u.limit}) | ≤ limit |`,
      `| ${name}: requests refused 429 / upstream effects | ${u.refused} / ${u.effects} | |`,
      // A run with no background work for an upstream (a burst of charges: none for Procure-Core) has no drain to judge.
      u.backgroundFinals === 0 && u.effects === 0
        ? `| ${name}: background drain (bus, sweep and continuation finals) | no background work for it in this run | |`
        : `| ${name}: background drain (bus, sweep and continuation finals), share of what its budget allowed | ${u.backgroundFinals} in ${u.backgroundSeconds} s (${u.backgroundPerMinute}/min) = ${u.backgroundShareOfBudget} of ${u.backgroundAllowed} | ≥ 0.9 |`,
    ];
  });
  const lines = [
    `\`${command}\` — ${report.startedAt}, ${report.durationSeconds} s`,
    "",
    "| measure | result | goal |",
    "|---|---|---|",
    `| bus cancels put at once | ${bus.requested} (${Math.round(options.busChargeShare * 100)} % charges) | |`,
    `| … final outcomes | ${bus.final} ${JSON.stringify(bus.outcomes)} | |`,
    `| … still queued at the end (not lost) | ${bus.queued} | |`,
    `| … dead-lettered | ${bus.deadLettered} | 0 |`,
    `| … lost (neither final, queued nor dead-lettered) | ${bus.lost} | 0 |`,
    `| … queue drained after | ${bus.drainedAfterSeconds === undefined ? "not within the run" : `${bus.drainedAfterSeconds} s`} | |`,
    `| HTTP cancels (${options.httpPerSecond}/s for ${options.durationSeconds} s) | ${http.sent} ${JSON.stringify(http.statuses)} | |`,
    `| HTTP p50 / p99 while the budget is contested | ${ms(http.contested.p50)} / ${ms(http.contested.p99)} (${http.contested.count} requests) | |`,
    `| time to answer 429 when the budget is spent, p50 / p99 | ${ms(http.rateLimited.p50)} / ${ms(http.rateLimited.p99)} (${http.rateLimited.count} answers) | < 50 ms |`,
    `| … the same two from 30 s on: HTTP p50 / p99; 429 p50 / p99 | ${ms(http.settled.contested.p50)} / ${ms(http.settled.contested.p99)} (${http.settled.contested.count}); ${ms(http.settled.rateLimited.p50)} / ${ms(http.settled.rateLimited.p99)} (${http.settled.rateLimited.count}) | < 50 ms (429) |`,
    ...(report.bulk
      ? [
          `| bulk job of ${report.bulk.items} intents: state, counts | ${report.bulk.state} ${JSON.stringify(report.bulk.counts)}, ended ${report.bulk.finishedAfterSeconds ?? "—"} s after its submission | |`,
          `| … items final, from its start to its last item | ${report.bulk.finals} in ${report.bulk.seconds} s (${report.bulk.perMinute}/min) | |`,
          `| … drain as a share of the background budget, over the ${report.bulk.windows} budget window(s) wholly inside that time | ${report.bulk.finalsInWindows} of ${report.bulk.allowedInWindows} allowed = ${report.bulk.shareOfBackground} | ≥ 0.9 |`,
          `| … all background intent cancels final in those windows (the job's and the continuation's), share of the same | ${report.bulk.allBackgroundInWindows} of ${report.bulk.allowedInWindows} = ${report.bulk.allBackgroundShare} | |`,
        ]
      : []),
    `| sweep: expired intents cancelled | ${sweep.cancelled} / ${sweep.intents} in ${sweep.runs} run(s) | |`,
    ...upstreamRows,
    `| containers (cold starts / invocations / errors / timeouts) | ${report.functions.map((f) => `${f.name} ${f.coldStarts}/${f.invocations}/${f.errors}/${f.timeouts}`).join("; ")} | |`,
    `| platform errors logged | ${report.platformErrors.count} | |`,
    `| CPU, load start to end: this process (stack, sandboxes, simulator) and DynamoDB Local | ${describeCpu(report.cpu, report.upstreams.a55.effects + report.upstreams["procure-core"].effects)} | |`,
  ];
  return lines.join("\n");
};

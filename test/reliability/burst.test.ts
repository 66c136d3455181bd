import { describe, expect, inject, it } from "vitest";
import { runSimulation } from "../../bench/simulation/run-simulation.ts";
import { DEFAULTS } from "../../bench/simulation/simulation-options.ts";
import type { SimulationReport } from "../../bench/simulation/simulation-report.ts";
import { profile } from "./support/profile.ts";
import { printSummary } from "./support/summary.ts";

/**
 * Case 6. Issue 11's burst on the local stack as `npm start` runs it (every function in its
 * own worker-thread containers, the bus on its SQS work queue and event source mapping):
 * many `Cancel Requested` events for distinct charges at once, A55 at its limit. Every one
 * must end in a final outcome, none dead-lettered, none lost. The full-size run is
 * `npm run simulate -- --burst 1000` (A55 at 100 per minute).
 */
const { events, limit, windowSeconds } = profile.burst;

describe(`reliability: bus burst against A55's rate limit (${profile.name})`, () => {
  it(
    `${events} charges at once, A55 at ${limit} per ${windowSeconds} s: all final, 0 dead letters, 0 lost`,
    async () => {
      // Prepare
      const options = {
        ...DEFAULTS,
        busCancels: events,
        busChargeShare: 1,
        httpPerSecond: 0,
        sweepIntents: 0,
        durationSeconds: 0,
        drain: true,
        maxDrainSeconds: Math.round(profile.testTimeoutMs / 1000) - 30,
        a55: { limit, windowSeconds },
        progressEverySeconds: 0,
        dynamoEndpoint: inject("dynamoEndpoint"),
      };

      // Act
      const report: SimulationReport = await runSimulation(options, () => {});

      // Assess
      expect(report.bus).toMatchObject({
        requested: events,
        final: events,
        queued: 0,
        deadLettered: 0,
        lost: 0,
      });
      expect(report.bus.outcomes).toEqual({ CANCELLED: events });
      expect(report.upstreams.a55.effects).toBe(events);
      // The containers did the work: more than one, each one invocation at a time, none timed out.
      const consumer = report.functions.find((fn) => fn.name === "cancel-requested");
      expect(consumer?.coldStarts).toBeGreaterThan(1);
      expect(consumer?.timeouts).toBe(0);
      expect(report.platformErrors).toEqual({ count: 0, first: [] });
      printSummary(profile, profile.seed, [
        {
          case: "6 bus burst",
          requests: events,
          upstream: report.upstreams.a55.effects + report.upstreams.a55.refused,
          effects: report.upstreams.a55.effects,
          retries: report.upstreams.a55.refused,
          deadLetters: report.bus.deadLettered,
          durationMs: report.durationSeconds * 1000,
          notes:
            `${events} charges at once on the local stack (${consumer?.coldStarts} bus containers, ${consumer?.invocations} invocations); ` +
            `A55 ${limit} per ${windowSeconds} s: ${report.upstreams.a55.refused} answered 429, peak ${report.upstreams.a55.peakPerWindow} in a sliding window; ` +
            `drained after ${report.bus.drainedAfterSeconds} s; 0 lost`,
        },
      ]);
    },
    profile.testTimeoutMs,
  );
});

/**
 * Suite 2 — CPU time per cancel when no I/O is involved: the in-memory doubles of every
 * port (test/support/in-memory-ports.ts) under three entry points, measured with
 * `process.cpuUsage()` (user + system, the whole process) over 10,000 cancels each:
 *
 * - core: `cancelIntent` → `runOnce` (idempotency, audit, outcome event);
 * - route code: `toHttpRequest` → `matchRoute` → the intent-cancel route (signature check,
 *   validation, the core, the reply and its log line and metric);
 * - handler: the exported, middy-wrapped HTTP handler with the same in-memory container.
 *
 * Batches of 1,000 fresh intents on fresh doubles (the doubles keep every record and call,
 * so they must not grow without bound), variants interleaved batch by batch,
 * two warm-up batches per variant discarded. Requests are signed before the clock starts.
 *
 * Then the same suite of this commit and of the anchor commit (support/cpu-anchor.ts),
 * each in processes of its own, alternated: what grew since, measured in one run. Goal:
 * ≤ 150 µs per cancel for each variant.
 *
 * This file runs the batches and reports; beside it in cpu-per-cancel/: cancel-batch.ts
 * (one batch through one entry point, timed) and memory-container.ts (the in-memory
 * service a batch runs on).
 */
import { setContainer } from "#wiring/container.ts";
import {
  ANCHOR_COMMIT,
  type AnchorComparison,
  compareWithAnchor,
  NO_ANCHOR_ENV,
} from "../support/cpu-anchor.ts";
import { type ProfileSummary, profileCpu } from "../support/cpu-profile.ts";
import { median } from "../support/stats.ts";
import { atMost, figure, type SuiteRun } from "../support/suite.ts";
import { BATCH, type BatchResult, runBatch, VARIANTS, type Variant } from "./cpu-per-cancel/cancel-batch.ts";

const WARMUP_BATCHES = 2;
const MEASURED_BATCHES = 10;
const TARGET_US = 150;

export const run: SuiteRun = async ({ progress }) => {
  const { handler } = await import("#handlers/http-api.ts");
  const perBatch: Record<Variant, BatchResult[]> = { core: [], route: [], handler: [] };
  for (let batch = 0; batch < WARMUP_BATCHES + MEASURED_BATCHES; batch++) {
    for (const variant of VARIANTS) {
      const result = await runBatch(
        variant,
        handler as (event: unknown, context: unknown) => Promise<unknown>,
        batch,
      );
      if (result.succeeded !== BATCH)
        throw new Error(`${variant}: only ${result.succeeded}/${BATCH} cancels succeeded`);
      if (batch >= WARMUP_BATCHES) perBatch[variant].push(result);
    }
    if (batch === WARMUP_BATCHES - 1)
      progress(`warm-up done (${WARMUP_BATCHES} × ${BATCH} cancels per variant)`);
  }

  // Where the CPU goes: one more batch of each HTTP variant under the sampling profiler (not counted).
  const profiles: Partial<Record<Variant, ProfileSummary>> = {};
  for (const variant of ["route", "handler"] as const) {
    const { profile } = await profileCpu(() =>
      runBatch(variant, handler as (event: unknown, context: unknown) => Promise<unknown>, 999),
    );
    profiles[variant] = profile;
  }
  setContainer(undefined);
  const anchor: AnchorComparison =
    process.env[NO_ANCHOR_ENV] === "off"
      ? { metrics: [], rows: [], details: {}, notes: [] }
      : await compareWithAnchor(progress);

  const summary = (variant: Variant) => {
    const batches = perBatch[variant];
    return {
      cancels: batches.length * BATCH,
      cpuUsPerCancelMedian: median(batches.map((b) => b.cpuUs)),
      cpuUsPerCancelOverall: batches.reduce((sum, b) => sum + b.cpuUs, 0) / batches.length,
      wallUsPerCancelMedian: median(batches.map((b) => b.wallUs)),
      batchesCpuUs: batches.map((b) => Math.round(b.cpuUs * 10) / 10),
    };
  };
  const core = summary("core");
  const route = summary("route");
  const full = summary("handler");
  progress(
    `CPU per cancel (median of ${MEASURED_BATCHES} batches): core ${core.cpuUsPerCancelMedian.toFixed(1)} µs, ` +
      `route ${route.cpuUsPerCancelMedian.toFixed(1)} µs, handler ${full.cpuUsPerCancelMedian.toFixed(1)} µs`,
  );
  const hot = (variant: Variant): string =>
    (profiles[variant]?.byPlace ?? [])
      .slice(0, 6)
      .map((spot) => `${spot.where} ${(spot.share * 100).toFixed(0)}%`)
      .join(", ");
  const notes: string[] = [];
  for (const [variant, result] of [
    ["route", route],
    ["handler", full],
  ] as const) {
    // The handler's margin is thin on a shared machine: say where its CPU goes even when met.
    if (result.cpuUsPerCancelMedian > TARGET_US || variant === "handler") {
      const verdict = result.cpuUsPerCancelMedian > TARGET_US ? `misses ${TARGET_US} µs` : "meets the target";
      notes.push(`cpu-per-cancel: the ${variant} variant ${verdict}; self time by place: ${hot(variant)}`);
    }
  }
  const anchorTable = {
    headers: [
      "variant",
      `this commit (goal ≤ ${TARGET_US} µs)`,
      `anchor ${ANCHOR_COMMIT}`,
      "ratio",
      "this commit, in this process",
    ],
    rows: anchor.rows.map((row) => {
      const inProcess = { core, route, handler: full }[row[0] as Variant]?.cpuUsPerCancelMedian ?? Number.NaN;
      return [...row, `${inProcess.toFixed(1)} µs`];
    }),
  };
  return {
    ...(anchorTable.rows.length > 0 ? { summary: anchorTable } : {}),
    notes: [...notes, ...anchor.notes],
    metrics: [
      figure("cancels measured per variant", core.cancels, "", 0),
      atMost("core cancelIntent (runOnce, in-memory) CPU", core.cpuUsPerCancelMedian, TARGET_US, "µs"),
      atMost("http route code (in-memory ports) CPU", route.cpuUsPerCancelMedian, TARGET_US, "µs"),
      atMost("exported http handler (middy, in-memory) CPU", full.cpuUsPerCancelMedian, TARGET_US, "µs"),
      figure("core wall time per cancel", core.wallUsPerCancelMedian, "µs"),
      figure("handler wall time per cancel", full.wallUsPerCancelMedian, "µs"),
      ...anchor.metrics,
    ],
    details: {
      batch: BATCH,
      warmupBatches: WARMUP_BATCHES,
      measuredBatches: MEASURED_BATCHES,
      method: "process.cpuUsage() user+system per batch / batch size; median of batches",
      core,
      route,
      handler: full,
      profiles,
      observability: "logs at INFO and EMF metrics to stdout (discarded), as deployed",
      anchor: anchor.details,
    },
  };
};

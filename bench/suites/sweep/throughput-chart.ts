/**
 * Suite 4's chart (../sweep.ts): cancels per second by concurrency, beside the CPU-bound
 * ceiling and the ideal of concurrency / latency, written to bench/sweep-throughput.svg.
 * Its siblings: workload.ts (what is swept), measured-sweep.ts (one sweep, measured),
 * figures.ts (metrics, notes and details).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assertWellFormedXml, renderLineChart } from "../../support/svg-chart.ts";
import { LATENCY_MS, LEVELS } from "./workload.ts";

export const CHART = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "sweep-throughput.svg",
);

/** One concurrency level's sweep. */
export interface ThroughputLevel {
  concurrency: number;
  intents: number;
  cancelsPerSecond: number;
  theoretical: number;
}

/** Draws the chart and writes it to CHART. */
export const writeThroughputChart = async (
  levels: readonly ThroughputLevel[],
  cpuCeiling: number,
): Promise<void> => {
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
};

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  EMITTED_METRICS,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_DIMENSION,
} from "#wiring/metric-catalogue.ts";
import { createMetrics, emitMetric } from "#wiring/observability.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const CATALOGUE = "functions/wiring/metric-catalogue.ts";

const sourcesUnder = (dir: string): { file: string; text: string }[] =>
  readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => path.join(dir, name))
    .map((file) => ({ file, text: readFileSync(path.join(ROOT, file), "utf8") }));

describe("the metric catalogue", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it("is what emitMetric writes: the namespace, the unit, and service plus the catalogue's dimensions", () => {
    // Prepare
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = createMetrics();
    const names = Object.keys(EMITTED_METRICS) as MetricName[];

    // Act
    for (const name of names) {
      const dimensions = Object.fromEntries(
        Object.entries(EMITTED_METRICS[name].dimensions).map(([key, values]) => [key, values[0]]),
      );
      emitMetric(metrics, name, dimensions as never, 1);
    }

    // Assess
    const written = lines.map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: unknown[] } });
    expect(written.map((emf) => emf._aws.CloudWatchMetrics)).toEqual(
      names.map((name) => [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [[...Object.keys(SERVICE_DIMENSION), ...Object.keys(EMITTED_METRICS[name].dimensions)]],
          Metrics: [{ Name: name, Unit: EMITTED_METRICS[name].unit }],
        },
      ]),
    );
  });

  it("is the only way metrics are written: addMetric is called in one place, emitMetric", () => {
    // Prepare
    const sources = sourcesUnder("functions");

    // Act
    const calls = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/\.(addMetric|addDimensions?|singleMetric)\(/g)].map((m) => `${file}: ${m[1]}`),
    );

    // Assess
    expect(calls.sort()).toEqual([
      "functions/wiring/observability.ts: addDimensions",
      "functions/wiring/observability.ts: addMetric",
      "functions/wiring/observability.ts: singleMetric",
    ]);
  });

  it("names only metrics that some function emits", () => {
    // Prepare
    const code = sourcesUnder("functions")
      .filter(({ file }) => file !== CATALOGUE)
      .map(({ text }) => text)
      .join("\n");
    const emitted = (name: string) => new RegExp(`["'\`]${name}["'\`]`).test(code);

    // Act
    const silent = (Object.keys(EMITTED_METRICS) as MetricName[]).filter((name) => !emitted(name));

    // Assess: every metric of the catalogue (the alarms' and the dashboard's) is emitted somewhere.
    expect(silent).toEqual([]);
  });
});

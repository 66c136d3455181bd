/**
 * bench/README.md's results section is written by `npm run bench` from bench/results.json;
 * this fails when the committed page does not show what results.json holds.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  RESULTS_BEGIN,
  RESULTS_END,
  type ResultsFile,
  renderResultsSection,
  withResultsSection,
} from "../../../bench/support/bench-readme.ts";
import { SUITES } from "../../../bench/support/suite.ts";

const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bench");

describe("bench/README.md", () => {
  it("shows the results of bench/results.json (else: npm run bench -- --readme)", () => {
    const page = readFileSync(path.join(BENCH, "README.md"), "utf8");
    const results = JSON.parse(readFileSync(path.join(BENCH, "results.json"), "utf8")) as ResultsFile;

    expect(page).toBe(withResultsSection(page, renderResultsSection(results, SUITES)));
  });

  it("names every suite, with its command and when it ran, and marks a missed target", () => {
    const results: ResultsFile = {
      timestamp: "2026-12-01T10:00:00.000Z",
      command: "npm run bench -- --only sweep",
      machine: {
        node: "v22",
        cpu: "cpu",
        cores: 2,
        platform: "linux-x64",
        memoryGiB: 8,
        loadAverage: [1, 1, 1],
      },
      suites: {
        sweep: {
          title: "4. expiry sweep",
          startedAt: "2026-12-01T09:58:00.000Z",
          durationMs: 61_000,
          command: "npm run bench -- --only sweep",
          machine: {
            node: "v22",
            cpu: "cpu",
            cores: 2,
            platform: "linux-x64",
            memoryGiB: 8,
            loadAverage: [1.5],
          },
          ok: true,
          metrics: [{ name: "ratio | to 800/s", value: 0.2, target: "≥ 0.85", met: false }],
          notes: ["CPU-bound"],
          details: {},
        },
      },
    };

    const section = renderResultsSection(results, SUITES);

    expect(section).toContain("`npm run bench -- --only sweep`, 2026-12-01 09:58 UTC, 61 s");
    expect(section).toContain("| ratio \\| to 800/s | 0.2 | ≥ 0.85 | ✘ missed |");
    expect(section).toContain("- CPU-bound");
    expect(section).toContain("Not run yet: `npm run bench -- --only cancel-path`.");
  });

  it("shows a suite's goal and its table of ratios, each beside what it is a ratio to", () => {
    const machine = {
      node: "v22",
      cpu: "cpu",
      cores: 2,
      platform: "linux-x64",
      memoryGiB: 8,
      loadAverage: [1],
    };
    const results: ResultsFile = {
      timestamp: "2026-12-01T10:00:00.000Z",
      command: "npm run bench -- --only cold-start",
      machine,
      suites: {
        "cold-start": {
          title: "3. cold start",
          startedAt: "2026-12-01T09:58:00.000Z",
          durationMs: 90_000,
          command: "npm run bench -- --only cold-start",
          machine,
          ok: true,
          metrics: [],
          summary: {
            headers: ["function", "module init", "reference", "ratio"],
            rows: [["http-api", "70 ms", "50 ms (DynamoDBClient)", "1.4 ×"]],
          },
          notes: [],
          details: {},
        },
      },
    };

    const section = renderResultsSection(results, SUITES);

    const goal = SUITES.find((suite) => suite.name === "cold-start")?.goal;
    expect(goal).toBeDefined();
    expect(section).toContain(`Goal: ${goal}.`);
    expect(section).toContain(
      "| function | module init | reference | ratio |\n|---|---:|---:|---:|\n| http-api | 70 ms | 50 ms (DynamoDBClient) | 1.4 × |",
    );
  });

  it("refuses a page without its results markers rather than losing the page", () => {
    expect(() => withResultsSection("# Benchmarks\n", "x")).toThrow(RESULTS_BEGIN);
    expect(withResultsSection(`a\n${RESULTS_BEGIN}\nold\n${RESULTS_END}\nb`, "new")).toBe("a\nnew\nb");
  });
});

/** The printed table: one row per metric, grouped by suite, with the target and whether it was met. */
import type { Metric } from "./suite.ts";

export interface TableSection {
  title: string;
  metrics: Metric[];
  error?: string;
}

const formatValue = (metric: Metric): string =>
  `${typeof metric.value === "number" ? metric.value.toLocaleString("en-US", { maximumFractionDigits: 3 }) : metric.value}${metric.unit ? ` ${metric.unit}` : ""}`;

const verdict = (metric: Metric): string => (metric.met === undefined ? "" : metric.met ? "met" : "MISSED");

export const renderTable = (sections: readonly TableSection[]): string => {
  const rows: string[][] = [];
  for (const section of sections) {
    rows.push([`[${section.title}]`, "", "", ""]);
    if (section.error) rows.push(["  suite failed", section.error.split("\n")[0] ?? "", "", "MISSED"]);
    for (const metric of section.metrics) {
      rows.push([`  ${metric.name}`, formatValue(metric), metric.target ?? "", verdict(metric)]);
    }
  }
  const header = ["metric", "value", "target", ""];
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === 1 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
};

/**
 * Suite 3 — cold start. Every function of the manifest bundled as deployed (esbuild, ESM,
 * `platform: node`, node22, minified, split, AWS SDK included: bench/support/bundles.ts),
 * and beside each, in the same run, its reference: a bundle holding only the AWS SDK
 * clients the function's first request must load (bench/support/cold-start-targets.ts:
 * DynamoDB, Secrets Manager where it reads secrets, EventBridge for the relay).
 *
 * - module init: `import()` of the bundle in a fresh Node 22 process, minus the same for
 *   an empty module; RUNS processes per bundle, every bundle once per round (A B A B…) so
 *   the machine's load falls on all alike; medians. Goal: ≤ 1.3 × the reference's, in CPU
 *   time (user + system of the process during the import): on this shared machine the wall
 *   time mostly measures the scheduler (at load 17 it varied 130–425 ms for one bundle, its
 *   CPU time 51–73 ms), while a Lambda's init has its own vCPU. The wall ratio is beside it.
 * - size: bytes on disk and bytes loaded at init (the entry and its static imports; the
 *   chunks reached by `import()` load on first use), each beside the reference's.
 * - what a function loads at init beyond its reference (metafile, by package or folder):
 *   where to look when a ratio grows.
 *
 * Before/after in one run: `COLD_START_BASELINE=<another checkout> npm run bench -- --only
 * cold-start` bundles that checkout's functions too (e.g. `git worktree add /tmp/before main`,
 * with its node_modules) and times them in the same rounds.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type BundleReport,
  bundle,
  contributionsOf,
  heaviest,
  importOnce,
  writeEmptyModule,
} from "../support/bundles.ts";
import { type ColdStartTarget, coldStartTargets } from "../support/cold-start-targets.ts";
import { median } from "../support/stats.ts";
import { atMost, figure, type Metric, round, type SuiteRun } from "../support/suite.ts";

const RUNS = 30;
const INIT_RATIO_GOAL = 1.3;
const OUT = path.join(tmpdir(), "cancellation-bench-bundles");

const kib = (bytes: number): number => round(bytes / 1024, 1);

/** What `report` loads at init that `reference` does not, by package or folder (KiB), heaviest first. */
const beyondReference = (report: BundleReport, reference: BundleReport) => {
  const own = contributionsOf(report.metafile, report.initFiles);
  const theirs = contributionsOf(reference.metafile, reference.initFiles);
  const extra = new Map([...own].map(([what, bytes]) => [what, bytes - (theirs.get(what) ?? 0)]));
  return heaviest(extra, 10).map((c) => ({ what: c.what, kib: kib(c.bytes) }));
};

/** The same functions from the checkout COLD_START_BASELINE names, if any (before/after in one run). */
const bundleBaseline = async (targets: ColdStartTarget[]): Promise<Map<string, BundleReport>> => {
  const root = process.env.COLD_START_BASELINE;
  const reports = new Map<string, BundleReport>();
  if (!root) return reports;
  for (const target of targets) {
    const file = path.join(path.resolve(root), target.file);
    if (!existsSync(file)) continue;
    const name = target.name;
    const outdir = path.join(OUT, "baseline", name);
    reports.set(name, await bundle(name, { file: path.relative(process.cwd(), file) }, outdir));
  }
  return reports;
};

export const run: SuiteRun = async ({ progress }) => {
  await rm(OUT, { recursive: true, force: true });
  const targets = coldStartTargets();
  progress(`bundling ${targets.length} functions as deployed, and their references`);
  const functions = new Map<string, BundleReport>();
  const references = new Map<string, BundleReport>();
  for (const target of targets) {
    functions.set(target.name, await bundle(target.name, { file: target.file }, path.join(OUT, target.name)));
    if (!references.has(target.referenceName)) {
      const name = `reference-${references.size + 1}`;
      const report = await bundle(name, { contents: target.referenceSource }, path.join(OUT, name));
      references.set(target.referenceName, report);
    }
  }
  const baselines = await bundleBaseline(targets);
  const empty = await writeEmptyModule(OUT);

  const files: Record<string, string> = { empty };
  for (const [name, report] of functions) files[name] = report.entry;
  for (const [name, report] of baselines) files[`baseline: ${name}`] = report.entry;
  for (const [name, report] of references) files[`reference: ${name}`] = report.entry;
  progress(`timing module init: ${RUNS} fresh processes per bundle, one of each per round`);
  const wall: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((key) => [key, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((key) => [key, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [key, file] of Object.entries(files)) {
      const { ms, cpuMs, error } = await importOnce(file);
      if (error !== undefined || ms === undefined || cpuMs === undefined)
        throw new Error(`importing ${key} failed: ${error}`);
      wall[key]?.push(ms);
      cpu[key]?.push(cpuMs);
    }
  }
  /** Median over the runs minus the empty module's: CPU time (the goal's measure) and wall time. */
  const init = (key: string) => ({
    cpu: median(cpu[key] ?? []) - median(cpu.empty ?? []),
    wall: median(wall[key] ?? []) - median(wall.empty ?? []),
  });
  const both = (ms: { cpu: number; wall: number }): string =>
    `${round(ms.cpu, 1)} ms CPU (${round(ms.wall, 1)} wall)`;

  const metrics: Metric[] = [
    figure("empty module import, CPU (subtracted)", median(cpu.empty ?? []), "ms", 2),
    figure("empty module import, wall (subtracted)", median(wall.empty ?? []), "ms", 2),
  ];
  for (const [name, report] of references) {
    metrics.push(
      figure(`reference ${name}: module init, CPU`, init(`reference: ${name}`).cpu, "ms"),
      figure(`reference ${name}: module init, wall`, init(`reference: ${name}`).wall, "ms"),
      figure(`reference ${name}: loaded at init`, kib(report.initBytes), "KiB"),
    );
  }
  const rows = targets.map((target: ColdStartTarget) => {
    const own = init(target.name);
    const theirs = init(`reference: ${target.referenceName}`);
    return {
      target,
      report: functions.get(target.name) as BundleReport,
      reference: references.get(target.referenceName) as BundleReport,
      own,
      theirs,
      ratio: own.cpu / theirs.cpu,
      wallRatio: own.wall / theirs.wall,
    };
  });
  for (const { target, report, reference, own, theirs, ratio, wallRatio } of rows) {
    const baseline = baselines.get(target.name);
    if (baseline) {
      const before = init(`baseline: ${target.name}`);
      metrics.push(
        figure(
          `${target.name} at the baseline: module init / reference's, CPU (${both(before)})`,
          before.cpu / theirs.cpu,
          "×",
          2,
        ),
        figure(`${target.name} at the baseline: loaded at init`, kib(baseline.initBytes), "KiB"),
      );
    }
    metrics.push(
      atMost(
        `${target.name}: module init / reference's, CPU (${round(own.cpu, 1)} / ${round(theirs.cpu, 1)} ms)`,
        ratio,
        INIT_RATIO_GOAL,
        "×",
        2,
      ),
      figure(
        `${target.name}: module init / reference's, wall (${round(own.wall, 1)} / ${round(theirs.wall, 1)} ms)`,
        wallRatio,
        "×",
        2,
      ),
      figure(
        `${target.name}: loaded at init / reference's (${kib(report.initBytes)} / ${kib(reference.initBytes)} KiB)`,
        report.initBytes / reference.initBytes,
        "×",
        2,
      ),
      figure(`${target.name}: bundle on disk (${report.files} files)`, kib(report.totalBytes), "KiB"),
    );
  }

  const notes = rows
    .filter((row) => row.ratio > INIT_RATIO_GOAL)
    .map(
      (row) =>
        `cold-start: ${row.target.name} loads at init beyond its reference (${row.target.referenceName}), KiB: ` +
        beyondReference(row.report, row.reference)
          .map((c) => `${c.what} ${c.kib}`)
          .join(", "),
    );
  const summary = {
    headers: [
      "function",
      "module init",
      "reference: SDK clients alone",
      "reference init",
      `ratio, CPU (goal ≤ ${INIT_RATIO_GOAL})`,
      "ratio, wall",
      "loaded at init / reference's",
      "on disk",
    ],
    rows: rows.map(({ target, report, reference, own, theirs, ratio, wallRatio }) => [
      target.name,
      both(own),
      target.referenceName,
      both(theirs),
      `${round(ratio, 2)} × ${ratio <= INIT_RATIO_GOAL ? "✔" : "✘"}`,
      `${round(wallRatio, 2)} ×`,
      `${kib(report.initBytes)} / ${kib(reference.initBytes)} KiB`,
      `${kib(report.totalBytes)} KiB`,
    ]),
  };
  return {
    metrics,
    summary,
    notes,
    details: {
      runs: RUNS,
      ...(baselines.size > 0 ? { baseline: process.env.COLD_START_BASELINE } : {}),
      method:
        "median over the runs of import() in a fresh process, CPU time (user + system) and wall time, minus the same for an empty module; every bundle once per round",
      options: "bench/support/bundles.ts DEPLOYED_OPTIONS (infra/settings.ts: esm, splitting, minify)",
      emptyImportMs: { cpu: median(cpu.empty ?? []), wall: median(wall.empty ?? []) },
      references: Object.fromEntries(
        [...references].map(([name, report]) => [
          name,
          { initMs: init(`reference: ${name}`), loadedAtInitKiB: kib(report.initBytes) },
        ]),
      ),
      functions: Object.fromEntries(
        rows.map(({ target, report, reference, own, theirs, ratio, wallRatio }) => [
          target.name,
          {
            reference: target.referenceName,
            initMs: own,
            referenceInitMs: theirs,
            initRatioCpu: round(ratio, 3),
            initRatioWall: round(wallRatio, 3),
            loadedAtInitKiB: kib(report.initBytes),
            onDiskKiB: kib(report.totalBytes),
            files: report.files,
            createRequireBanner: report.banner,
            beyondReferenceKiB: beyondReference(report, reference),
          },
        ]),
      ),
      rawImportMs: { cpu, wall },
    },
  };
};

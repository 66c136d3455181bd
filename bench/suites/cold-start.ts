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
 * - init + first request: the same import followed by the modules the function loads on
 *   first use that its first request needs (cold-start-targets.ts names the request), timed
 *   in the same rounds and given as a ratio to the same reference: what init saves by loading
 *   a module later shows here when the first request needs it anyway.
 *
 * - without its libraries: the same function with Powertools, middy and valibot stubbed out
 *   (bench/support/library-stubs.ts), timed in the same rounds: a bound on what replacing them
 *   with code of our own could save; what it still costs over the reference is our own code.
 *
 * Before/after in one run: `COLD_START_BASELINE=<another checkout> npm run bench -- --only
 * cold-start` bundles that checkout's functions too (e.g. `git worktree add /tmp/before main`,
 * with its node_modules) and times them in the same rounds.
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BundleReport } from "../support/bundles.ts";
import { beyondReference, bundleColdStartSet, timeModuleInits } from "../support/cold-start-bundles.ts";
import { type ColdStartTarget, coldStartTargets } from "../support/cold-start-targets.ts";
import { countInstructions, instructionFigures, instructionsSkipped } from "../support/instruction-counts.ts";
import { median } from "../support/stats.ts";
import { atMost, figure, type Metric, round, type SuiteRun } from "../support/suite.ts";

const RUNS = 30;
/** Processes per bundle under callgrind, when instructions are counted (COLD_START_INSTRUCTIONS=1). */
const INSTRUCTION_RUNS = 3;
const INIT_RATIO_GOAL = 1.3;
const OUT = path.join(tmpdir(), "cancellation-bench-bundles");

const kib = (bytes: number): number => round(bytes / 1024, 1);

export const run: SuiteRun = async ({ progress }) => {
  await rm(OUT, { recursive: true, force: true });
  const targets = coldStartTargets();
  progress(`bundling ${targets.length} functions as deployed, their references and bounds`);
  const { functions, withoutLibraries, references, baselines, files, firstRequestBytes } =
    await bundleColdStartSet(targets, OUT);
  progress(`timing module init: ${RUNS} fresh processes per bundle, one of each per round`);
  const { init, cpu, wall } = await timeModuleInits(files, RUNS);
  const skipped = await instructionsSkipped();
  const countedKeys = Object.keys(files).filter((key) => !key.includes("first request"));
  if (!skipped) progress(`counting instructions: ${INSTRUCTION_RUNS} processes per bundle under callgrind`);
  const instructions = skipped
    ? undefined
    : await countInstructions(
        Object.fromEntries(countedKeys.map((key) => [key, files[key] as string])),
        INSTRUCTION_RUNS,
      );
  /** A first request that loads nothing on first use was not timed apart: its figure is init's. */
  const initOr = (key: string, otherwise: string) => init(key in files ? key : otherwise);
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
    const first = initOr(`first request: ${target.name}`, target.name);
    const bare = init(`libraries stubbed: ${target.name}`);
    return {
      target,
      bare,
      bareRatio: bare.cpu / theirs.cpu,
      first,
      firstRatio: first.cpu / theirs.cpu,
      report: functions.get(target.name) as BundleReport,
      reference: references.get(target.referenceName) as BundleReport,
      own,
      theirs,
      ratio: own.cpu / theirs.cpu,
      wallRatio: own.wall / theirs.wall,
    };
  });
  for (const {
    target,
    report,
    reference,
    own,
    theirs,
    ratio,
    wallRatio,
    first,
    firstRatio,
    bare,
    bareRatio,
  } of rows) {
    const baseline = baselines.get(target.name);
    if (baseline) {
      const before = init(`baseline: ${target.name}`);
      const beforeFirst = initOr(`baseline first request: ${target.name}`, `baseline: ${target.name}`);
      metrics.push(
        figure(
          `${target.name} at the baseline: init + first request / reference's, CPU (${both(beforeFirst)})`,
          beforeFirst.cpu / theirs.cpu,
          "×",
          2,
        ),
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
      figure(
        `${target.name}: init + first request (${target.firstRequest.request}) / reference's init, CPU (${round(first.cpu, 1)} / ${round(theirs.cpu, 1)} ms; ${kib(firstRequestBytes.get(target.name) ?? 0)} KiB loaded)`,
        firstRatio,
        "×",
        2,
      ),
      figure(
        `${target.name} with Powertools, middy and valibot stubbed out (a bound): module init / reference's, CPU (${round(bare.cpu, 1)} / ${round(theirs.cpu, 1)} ms; ${kib((withoutLibraries.get(target.name) as BundleReport).initBytes)} KiB loaded)`,
        bareRatio,
        "×",
        2,
      ),
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
      "init + first request's loads, CPU ratio (loaded)",
      "libraries stubbed out (a bound), CPU ratio",
      "on disk",
    ],
    rows: rows.map(({ target, report, reference, own, theirs, ratio, wallRatio, firstRatio, bareRatio }) => [
      target.name,
      both(own),
      target.referenceName,
      both(theirs),
      `${round(ratio, 2)} × ${ratio <= INIT_RATIO_GOAL ? "✔" : "✘"}`,
      `${round(wallRatio, 2)} ×`,
      `${kib(report.initBytes)} / ${kib(reference.initBytes)} KiB`,
      `${round(firstRatio, 2)} × (${kib(firstRequestBytes.get(target.name) ?? 0)} KiB)`,
      `${round(bareRatio, 2)} ×`,
      `${kib(report.totalBytes)} KiB`,
    ]),
  };
  if (instructions) metrics.push(...instructionFigures(targets, instructions));
  else notes.push(`cold-start: instructions not counted: ${skipped}`);
  return {
    metrics,
    summary,
    notes,
    details: {
      runs: RUNS,
      ...(instructions ? { instructions: { runs: INSTRUCTION_RUNS, medians: instructions } } : {}),
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
        rows.map(
          ({
            target,
            report,
            reference,
            own,
            theirs,
            ratio,
            wallRatio,
            first,
            firstRatio,
            bare,
            bareRatio,
          }) => [
            target.name,
            {
              reference: target.referenceName,
              initMs: own,
              firstRequest: {
                request: target.firstRequest.request,
                loadsOnFirstUse: target.firstRequest.loads,
                initPlusFirstRequestMs: first,
                ratioCpu: round(firstRatio, 3),
                loadedKiB: kib(firstRequestBytes.get(target.name) ?? 0),
              },
              librariesStubbed: {
                initMs: bare,
                ratioCpu: round(bareRatio, 3),
                loadedAtInitKiB: kib((withoutLibraries.get(target.name) as BundleReport).initBytes),
              },
              referenceInitMs: theirs,
              initRatioCpu: round(ratio, 3),
              initRatioWall: round(wallRatio, 3),
              loadedAtInitKiB: kib(report.initBytes),
              onDiskKiB: kib(report.totalBytes),
              files: report.files,
              createRequireBanner: report.banner,
              beyondReferenceKiB: beyondReference(report, reference),
            },
          ],
        ),
      ),
      rawImportMs: { cpu, wall },
    },
  };
};

/**
 * What the cold-start suite (bench/suites/cold-start.ts) bundles and times: each function as
 * deployed, the same with its libraries stubbed out (library-stubs.ts), its reference, the
 * same functions from another checkout (before/after in one run), the first request's modules
 * (first-request.ts); the rounds of fresh imports; and what a function loads at init beyond its
 * reference.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import {
  type BundleReport,
  bundle,
  contributionsOf,
  heaviest,
  importOnce,
  writeEmptyModule,
} from "./bundles.ts";
import type { ColdStartTarget } from "./cold-start-targets.ts";
import { prepareFirstRequest } from "./first-request.ts";
import { libraryStubs } from "./library-stubs.ts";
import { median } from "./stats.ts";
import { round } from "./suite.ts";

const kib = (bytes: number): number => round(bytes / 1024, 1);

/** What `report` loads at init that `reference` does not, by package or folder (KiB), heaviest first. */
export const beyondReference = (report: BundleReport, reference: BundleReport) => {
  const own = contributionsOf(report.metafile, report.initFiles);
  const theirs = contributionsOf(reference.metafile, reference.initFiles);
  const extra = new Map([...own].map(([what, bytes]) => [what, bytes - (theirs.get(what) ?? 0)]));
  return heaviest(extra, 10).map((c) => ({ what: c.what, kib: kib(c.bytes) }));
};

/** The same functions from the checkout COLD_START_BASELINE names, if any (before/after in one run). */
export const bundleBaseline = async (
  targets: ColdStartTarget[],
  outdir: string,
): Promise<Map<string, BundleReport>> => {
  const root = process.env.COLD_START_BASELINE;
  const reports = new Map<string, BundleReport>();
  if (!root) return reports;
  for (const target of targets) {
    const file = path.join(path.resolve(root), target.file);
    if (!existsSync(file)) continue;
    const name = target.name;
    reports.set(
      name,
      await bundle(name, { file: path.relative(process.cwd(), file) }, path.join(outdir, name)),
    );
  }
  return reports;
};

export interface ColdStartSet {
  functions: Map<string, BundleReport>;
  /** Each function with Powertools, middy and valibot stubbed out: a bound. */
  withoutLibraries: Map<string, BundleReport>;
  /** By reference name: several functions share one. */
  references: Map<string, BundleReport>;
  baselines: Map<string, BundleReport>;
  /** Every file to time, by key: `empty`, the function's name, `libraries stubbed: <name>`, `first request: <name>`, `reference: <reference name>`, `baseline: <name>`, `baseline first request: <name>`. */
  files: Record<string, string>;
  /** Bytes loaded by init and the first request's modules, by function. */
  firstRequestBytes: Map<string, number>;
}

/** Bundles every target, its bound and its reference into `outdir`, and names each file to time. */
export const bundleColdStartSet = async (
  targets: ColdStartTarget[],
  outdir: string,
): Promise<ColdStartSet> => {
  const functions = new Map<string, BundleReport>();
  const withoutLibraries = new Map<string, BundleReport>();
  const references = new Map<string, BundleReport>();
  for (const target of targets) {
    functions.set(
      target.name,
      await bundle(target.name, { file: target.file }, path.join(outdir, target.name)),
    );
    const stubbedDir = path.join(outdir, "libraries-stubbed", target.name);
    const plugins = [libraryStubs()];
    withoutLibraries.set(
      target.name,
      await bundle(target.name, { file: target.file }, stubbedDir, { plugins }),
    );
    if (!references.has(target.referenceName)) {
      const name = `reference-${references.size + 1}`;
      const report = await bundle(name, { contents: target.referenceSource }, path.join(outdir, name));
      references.set(target.referenceName, report);
    }
  }
  const baselines = await bundleBaseline(targets, path.join(outdir, "baseline"));
  const files: Record<string, string> = { empty: await writeEmptyModule(outdir) };
  const firstRequestBytes = new Map<string, number>();
  for (const { name, firstRequest } of targets) {
    const report = functions.get(name) as BundleReport;
    files[name] = report.entry;
    files[`libraries stubbed: ${name}`] = (withoutLibraries.get(name) as BundleReport).entry;
    const first = await prepareFirstRequest(report, firstRequest.loads, { name, strict: true });
    firstRequestBytes.set(name, first.bytes);
    if (first.file) files[`first request: ${name}`] = first.file;
    const baseline = baselines.get(name);
    if (!baseline) continue;
    files[`baseline: ${name}`] = baseline.entry;
    const before = await prepareFirstRequest(baseline, firstRequest.loads, { name, strict: false });
    if (before.file) files[`baseline first request: ${name}`] = before.file;
  }
  for (const [name, report] of references) files[`reference: ${name}`] = report.entry;
  return { functions, withoutLibraries, references, baselines, files, firstRequestBytes };
};

/**
 * Imports every file in a fresh process, `runs` rounds of one each (A B A B…, so the machine's
 * load falls on all alike). `init(key)`: the median over the rounds minus the empty module's,
 * as CPU time (the goal's measure) and wall time.
 */
export const timeModuleInits = async (files: Record<string, string>, runs: number) => {
  const wall: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((key) => [key, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((key) => [key, []]));
  for (let i = 0; i < runs; i++) {
    for (const [key, file] of Object.entries(files)) {
      const { ms, cpuMs, error } = await importOnce(file);
      if (error !== undefined || ms === undefined || cpuMs === undefined)
        throw new Error(`importing ${key} failed: ${error}`);
      wall[key]?.push(ms);
      cpu[key]?.push(cpuMs);
    }
  }
  const init = (key: string): { cpu: number; wall: number } => ({
    cpu: median(cpu[key] ?? []) - median(cpu.empty ?? []),
    wall: median(wall[key] ?? []) - median(wall.empty ?? []),
  });
  return { init, cpu, wall };
};

/**
 * The cold-start suite's bundles beside its functions': the same functions from another
 * checkout (before/after in one run), and what a function loads at init beyond its reference.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { type BundleReport, bundle, contributionsOf, heaviest } from "./bundles.ts";
import type { ColdStartTarget } from "./cold-start-targets.ts";
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

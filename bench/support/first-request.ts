/**
 * "Init + first request" for the cold-start suite: a function's module init followed by the
 * modules its first request loads on first use (`import()`: functions/wiring/load-on-first-use.ts),
 * read from the bundle's metafile. Whatever init saves by loading a module later is paid
 * here when the first request needs it: the figure shows nothing was merely moved.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type BundleReport, loadedAtInit, REPO_ROOT } from "./bundles.ts";

/**
 * The output files a bundle reads when `modules` (repository paths of modules it loads
 * through `import()`) are first used after init: each one's own file and the chunks it
 * imports statically, less those already read at init. A module the bundle does not load
 * through `import()` (bundled into init, or absent) is in `missing`.
 */
export const loadedOnFirstUse = (
  report: BundleReport,
  modules: readonly string[],
): { files: string[]; bytes: number; missing: string[] } => {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const module of modules) {
    const output = Object.entries(report.metafile.outputs).find(
      ([file, out]) => file !== report.entryOutput && out.entryPoint?.endsWith(module),
    )?.[0];
    if (!output) {
      missing.push(module);
      continue;
    }
    for (const file of loadedAtInit(report.metafile, output)) {
      if (!report.initFiles.includes(file)) files.add(file);
    }
  }
  const bytes = [...files].reduce((sum, file) => sum + (report.metafile.outputs[file]?.bytes ?? 0), 0);
  return { files: [...files], bytes, missing };
};

/**
 * A module that imports the bundle's entry, then the files `loadedOnFirstUse` named, one after
 * another as a first request would: timing its import is "init + first request's loads".
 */
export const writeFirstRequestModule = async (
  report: BundleReport,
  files: readonly string[],
): Promise<string> => {
  const file = path.join(path.dirname(report.entry), "first-request.mjs");
  const specifier = (output: string) => JSON.stringify(pathToFileURL(path.resolve(REPO_ROOT, output)).href);
  const lines = [report.entryOutput, ...files].map((output) => `await import(${specifier(output)});`);
  await writeFile(file, `${lines.join("\n")}\n`);
  return file;
};

/**
 * The module timing "init + first request" for `report` (none when the first request loads
 * nothing on first use: the figure is then module init itself), and the bytes that reads.
 * `strict`: a module of `loads` the bundle does not load through `import()` is an error
 * (the list in cold-start-targets.ts is out of date); otherwise (a baseline checkout) it is
 * taken to be loaded at init, where it is counted already.
 */
export const prepareFirstRequest = async (
  report: BundleReport,
  loads: readonly string[],
  { name, strict }: { name: string; strict: boolean },
): Promise<{ file: string | undefined; bytes: number }> => {
  const lazy = loadedOnFirstUse(report, loads);
  if (strict && lazy.missing.length > 0) {
    throw new Error(
      `cold-start: ${name} does not load ${lazy.missing.join(", ")} through import(); update FIRST_REQUEST`,
    );
  }
  const file = lazy.files.length > 0 ? await writeFirstRequestModule(report, lazy.files) : undefined;
  return { file, bytes: report.initBytes + lazy.bytes };
};

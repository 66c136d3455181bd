/**
 * Bundles the Lambda functions the way they are deployed (esbuild, ESM, `platform: node`,
 * node22, minified, split into chunks, AWS SDK included, `module` before `main`: the
 * `nodejs` settings of infra/settings.ts), measures what comes out (metafile), and times
 * module initialisation in fresh Node processes.
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { type BuildOptions, build, type Metafile } from "esbuild";

export const REPO_ROOT = process.cwd();

/** The options every function is deployed with (infra/settings.ts: esm, splitting, minify). */
export const DEPLOYED_OPTIONS: BuildOptions = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22",
  minify: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  mainFields: ["module", "main"],
  metafile: true,
  logLevel: "silent",
};

/** Lets a CommonJS dependency's `require` of a Node built-in work inside an ES module bundle. */
export const CREATE_REQUIRE_BANNER =
  'import { createRequire as __benchCreateRequire } from "node:module"; const require = __benchCreateRequire(import.meta.url);';

export interface BundleReport {
  /** The file Lambda loads. */
  entry: string;
  /** Bytes of every output file. */
  totalBytes: number;
  /** Bytes of the entry and the chunks it imports statically: what is read and evaluated at init. */
  initBytes: number;
  files: number;
  /** Whether the createRequire banner was needed. */
  banner: boolean;
  metafile: Metafile;
  /** The entry's output file, as the metafile names it. */
  entryOutput: string;
  /** The output files evaluated at init (the entry and its static imports), as the metafile names them. */
  initFiles: string[];
}

/** The entry plus every chunk reachable through static imports. */
export const loadedAtInit = (metafile: Metafile, entry: string): string[] => {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
    }
  };
  visit(entry);
  return [...seen];
};

const run = promisify(execFile);

/** A clean environment for a fresh function process: no loaders, nothing inherited. */
export const functionEnvironment = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  AWS_REGION: "us-east-1",
  LOG_LEVEL: "INFO",
});

/**
 * Imports `file` in a fresh Node process; resolves with the time `import()` took (ms), the
 * CPU time the process spent meanwhile (user + system, all its threads), or the error text.
 */
export const importOnce = async (file: string): Promise<{ ms?: number; cpuMs?: number; error?: string }> => {
  const script =
    `const c=process.cpuUsage(),t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});` +
    "const w=performance.now()-t,u=process.cpuUsage(c);process.stdout.write(w+' '+(u.user+u.system)/1000);";
  try {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      env: functionEnvironment(),
      timeout: 30_000,
    });
    const [ms, cpuMs] = stdout.trim().split(" ").map(Number);
    return { ms, cpuMs };
  } catch (error) {
    return { error: (error as { stderr?: string }).stderr || String(error) };
  }
};

/**
 * Bundles one entry (a path under the repo, or source text for a probe) into `outdir`.
 * Without `splitting` the result is one file. Built without the createRequire banner
 * first; rebuilt with it only when the bundle cannot be imported without it.
 */
export const bundle = async (
  name: string,
  entry: { file: string } | { contents: string },
  outdir: string,
  extra: BuildOptions = {},
): Promise<BundleReport> => {
  await mkdir(outdir, { recursive: true });
  const entryOptions: BuildOptions =
    "file" in entry
      ? { entryPoints: { [name]: path.join(REPO_ROOT, entry.file) } }
      : {
          stdin: { contents: entry.contents, resolveDir: REPO_ROOT, sourcefile: `${name}.ts`, loader: "ts" },
          entryNames: name,
        };
  const once = async (banner: boolean): Promise<BundleReport> => {
    const result = await build({
      ...DEPLOYED_OPTIONS,
      ...entryOptions,
      outdir,
      outExtension: { ".js": ".mjs" },
      write: true,
      ...(banner ? { banner: { js: CREATE_REQUIRE_BANNER } } : {}),
      ...extra,
    });
    const metafile = result.metafile as Metafile;
    const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith(".mjs"));
    // Chunks reached by dynamic import() carry an `entryPoint` too; the function's own file is named after it.
    const entryOutput = outputs.find(([file]) => path.basename(file) === `${name}.mjs`)?.[0];
    if (!entryOutput) throw new Error(`esbuild produced no entry for ${name}`);
    const initFiles = loadedAtInit(metafile, entryOutput);
    return {
      entry: path.resolve(REPO_ROOT, entryOutput),
      totalBytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
      initBytes: initFiles.reduce((sum, file) => sum + (metafile.outputs[file]?.bytes ?? 0), 0),
      files: outputs.length,
      banner,
      metafile,
      entryOutput,
      initFiles,
    };
  };
  const plain = await once(false);
  const check = await importOnce(plain.entry);
  if (check.error === undefined) return plain;
  if (!/Dynamic require of|require is not defined/.test(check.error)) {
    throw new Error(
      `the ${name} bundle cannot be imported: ${check.error.split("\n").slice(0, 5).join(" ")}`,
    );
  }
  const withBanner = await once(true);
  const again = await importOnce(withBanner.entry);
  if (again.error !== undefined) throw new Error(`the ${name} bundle cannot be imported: ${again.error}`);
  return withBanner;
};

export interface Contributor {
  what: string;
  bytes: number;
}

/** Output bytes by package (node_modules) or project folder; all of them, or those of `files` only. */
export const contributionsOf = (metafile: Metafile, files?: readonly string[]): Map<string, number> => {
  const totals = new Map<string, number>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (files && !files.includes(file)) continue;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      const what = pkg ?? input.split("/").slice(0, 2).join("/");
      totals.set(what, (totals.get(what) ?? 0) + bytesInOutput);
    }
  }
  return totals;
};

/** The heaviest contributions, heaviest first. */
export const heaviest = (totals: Map<string, number>, count: number): Contributor[] =>
  [...totals.entries()]
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([what, bytes]) => ({ what, bytes }));

/** Output bytes by package (node_modules) or project folder, heaviest first. */
export const contributors = (metafile: Metafile, count: number): Contributor[] =>
  heaviest(contributionsOf(metafile), count);

/** An empty module, the baseline every import time is measured against. */
export const writeEmptyModule = async (dir: string): Promise<string> => {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, "empty.mjs");
  await writeFile(file, "export {};\n");
  return file;
};

/** Output bytes of one package in a bundle (0: the bundle does not contain it). */
export const packageBytes = (metafile: Metafile, pkg: string): number => {
  let bytes = 0;
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (input.includes(`node_modules/${pkg}/`)) bytes += bytesInOutput;
    }
  }
  return bytes;
};

import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import * as esbuild from "esbuild";
import { ROOT } from "./paths.ts";

/**
 * A stand-in for the CLI's `Runtime.Build` (pkg/runtime/node): really bundles the handler with
 * esbuild as SST does for deploys (ESM, `.mjs`, bundled dependencies, SST's banner), targeting
 * Node 22, and, unlike SST, fails when the handler's named export is missing.
 */

/** What `sst.aws.Function` sends (the fields this stand-in reads). */
export interface BuildInput {
  functionID: string;
  handler: string;
  bundle?: string;
  runtime: string;
  isContainer?: boolean;
  properties?: {
    install?: string[];
    banner?: string;
    format?: string;
    esbuild?: { external?: string[] };
    architecture?: string;
  };
}

/** What `sst.aws.Function` expects back. */
export interface BuildOutput {
  handler: string;
  out: string;
  errors: string[];
  sourcemaps: string[];
}

/** What the checker keeps of each build, for its assertions. */
export interface BuildRecord {
  functionID: string;
  handlerString: string;
  source: string;
  exportName: string;
  handler: string;
  out: string;
  bundle: string;
  exports: string[];
  errors: string[];
}

// pkg/runtime/node: the order SST tries extensions in.
const NODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];
const FORCE_EXTERNAL = ["sharp", "pg-native"];
const BANNER = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  "const require = topLevelCreateRequire(import.meta.url);",
  'import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"',
  "const __filename = topLevelFileUrlToPath(import.meta.url)",
  'const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))',
];

/** Splits "dir/file.export" and finds the source file the way SST does. */
export function resolveHandler(handler: string): {
  source: string | undefined;
  base: string;
  exportName: string;
} {
  const dir = path.dirname(handler);
  const parts = path.basename(handler).split(".");
  const exportName = parts.length > 1 ? (parts.pop() ?? "") : "";
  const base = parts.join(".");
  const source = NODE_EXTENSIONS.map((ext) => path.join(ROOT, dir, base + ext)).find((file) =>
    existsSync(file),
  );
  return { source, base, exportName };
}

/** Bundles one function into `<outRoot>/<functionID>-src/`. */
export async function buildFunction(input: BuildInput, outRoot: string): Promise<BuildRecord> {
  const out = path.join(outRoot, `${input.functionID}-src`);
  const { source, base, exportName } = resolveHandler(input.handler);
  const fileName = base.replaceAll(".", "-");
  const record: BuildRecord = {
    functionID: input.functionID,
    handlerString: input.handler,
    source: source ? path.relative(ROOT, source) : "",
    exportName,
    handler: `${fileName}.${exportName}`,
    out,
    bundle: path.join(out, `${fileName}.mjs`),
    exports: [],
    errors: [],
  };
  if (input.bundle || input.isContainer) {
    record.errors.push(`${input.functionID}: only bundled Node.js handlers are checked here`);
    return record;
  }
  if (!input.runtime.startsWith("nodejs")) {
    record.errors.push(`${input.functionID}: runtime ${input.runtime} is not Node.js`);
    return record;
  }
  if (!source) {
    record.errors.push(`Handler not found: ${input.handler}`);
    return record;
  }
  if (!exportName) {
    record.errors.push(`Handler "${input.handler}" names no export ("file.export")`);
    return record;
  }
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const properties = input.properties ?? {};
  try {
    const result = await esbuild.build({
      entryPoints: [source],
      absWorkingDir: ROOT,
      platform: "node",
      format: "esm",
      target: "node22",
      bundle: true,
      keepNames: true,
      metafile: true,
      write: true,
      outfile: record.bundle,
      mainFields: ["module", "main"],
      external: [...FORCE_EXTERNAL, ...(properties.install ?? []), ...(properties.esbuild?.external ?? [])],
      banner: { js: [...BANNER, properties.banner ?? ""].join("\n") },
      logLevel: "silent",
    });
    const output = result.metafile.outputs[path.relative(ROOT, record.bundle)];
    record.exports = output?.exports ?? [];
    if (!record.exports.includes(exportName)) {
      record.errors.push(
        `Handler "${input.handler}": ${record.source} has no export "${exportName}" (exports: ${record.exports.join(", ") || "none"})`,
      );
    }
  } catch (error) {
    const failure = error as { errors?: esbuild.Message[]; message?: string };
    const messages = failure.errors?.map(
      (m) => `${m.text} ${m.location?.file ?? ""}:${m.location?.line ?? ""}`,
    );
    record.errors.push(...(messages ?? [String(failure.message ?? error)]));
  }
  return record;
}

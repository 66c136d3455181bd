import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { PLATFORM_DIR, programFile, ROOT, SST_DIR, stageDir } from "./paths.ts";

/**
 * Bundles sst.config.ts the way the SST CLI (v4, pkg/project + pkg/js) does, in its two steps:
 * first `app()` is evaluated to learn the app settings for a stage, then the program is bundled
 * with `$app`/`$cli`/`$dev` defined, the platform shim injected and the provider globals
 * prepended to every project file. Depends on platform internals: re-check on each SST upgrade.
 */

/** The app settings the CLI computes from `app()` and defines as `$app`. */
export interface AppSettings {
  name: string;
  stage: string;
  removal: string;
  providers: Record<string, unknown>;
  home: string;
  version: string;
  protect: boolean;
}

const CONFIG = path.join(ROOT, "sst.config.ts");

// The CLI's banner: ESM bundles still get `require`, `__filename` and `__dirname`.
const CLI_BANNER = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  "const require = topLevelCreateRequire(import.meta.url);",
  'import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"',
  "const __filename = topLevelFileUrlToPath(import.meta.url)",
  'const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))',
].join("\n");

// What the CLI leaves to Node's resolution (from .sst/platform/node_modules).
const CLI_EXTERNALS = [
  "@pulumi/*",
  "undici",
  "@pulumiverse/*",
  "@sst-provider/*",
  "@aws-sdk/*",
  "esbuild",
  "archiver",
  "glob",
  "vite",
];

/** The CLI's "InjectGlobals" plugin: prepends the provider imports to every non-.sst source. */
function injectGlobals(globals: string): esbuild.Plugin {
  return {
    name: "InjectGlobals",
    setup(build) {
      build.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, async (args) => {
        const contents = await readFile(args.path, "utf8");
        return {
          contents: args.path.includes(".sst") ? contents : `${globals}\n${contents}`,
          loader: "default",
        };
      });
    },
  };
}

function baseOptions(globals: string): esbuild.BuildOptions {
  return {
    mainFields: ["module", "main"],
    format: "esm",
    platform: "node",
    nodePaths: [path.join(PLATFORM_DIR, "node_modules")],
    plugins: [injectGlobals(globals)],
    external: CLI_EXTERNALS,
    bundle: true,
    write: true,
    logLevel: "silent",
  };
}

/** Step 1: evaluate `app({ stage })` and normalise it as the CLI does. */
export async function evaluateApp(stage: string): Promise<AppSettings> {
  const outfile = path.join(stageDir(stage), "app.mjs");
  await mkdir(path.dirname(outfile), { recursive: true });
  await esbuild.build({
    ...baseOptions(""),
    banner: { js: `${CLI_BANNER}\nfunction $config(input) { return input }` },
    define: { $input: JSON.stringify({ stage }) },
    stdin: {
      contents: `import mod from ${JSON.stringify(CONFIG)};\nexport default await mod.app({ stage: $input.stage || undefined });`,
      resolveDir: ROOT,
      sourcefile: "eval.ts",
      loader: "ts",
    },
    outfile,
  });
  const module: { default: unknown } = await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
  const raw = JSON.parse(JSON.stringify(module.default)) as Partial<AppSettings> & {
    providers?: Record<string, unknown>;
  };
  if (!raw.name) throw new Error("sst.config.ts app() returned no name");
  if (!raw.home) throw new Error('sst.config.ts app() returned no "home"');
  const providers: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw.providers ?? {})) {
    providers[key] = typeof value === "string" ? { version: value } : value === true ? {} : value;
  }
  if (!(raw.home in providers)) providers[raw.home] = {};
  return {
    name: raw.name,
    stage,
    removal: raw.removal ?? "retain",
    providers,
    home: raw.home,
    version: raw.version ?? "",
    protect: raw.protect ?? false,
  };
}

/** The `$cli` value the program sees; `work` is per stage so both evaluations can run at once. */
export function cliSettings(stage: string) {
  return {
    command: "deploy",
    dev: false,
    paths: { home: path.join(SST_DIR, "home"), root: ROOT, work: stageDir(stage), platform: PLATFORM_DIR },
    state: { version: {} },
  };
}

/** Step 2: bundle the program for one stage; returns the bundle's path. */
export async function bundleProgram(app: AppSettings): Promise<string> {
  const lock = JSON.parse(await readFile(path.join(SST_DIR, "provider-lock.json"), "utf8")) as {
    alias: string;
    package: string;
  }[];
  const globals = [
    ...lock.map((entry) => `import * as ${entry.alias} from "${entry.package}";`),
    `import * as sst from "${path.join(PLATFORM_DIR, "src/components")}";`,
  ].join("\n");
  const outfile = programFile(app.stage);
  await esbuild.build({
    ...baseOptions(globals),
    banner: { js: CLI_BANNER },
    sourcemap: "linked",
    define: {
      $app: JSON.stringify(app),
      $cli: JSON.stringify(cliSettings(app.stage)),
      $dev: "false",
    },
    inject: [path.join(PLATFORM_DIR, "src/shim/run.js")],
    stdin: {
      contents: [
        `import { run } from ${JSON.stringify(path.join(PLATFORM_DIR, "src/auto/run.ts"))};`,
        `import mod from ${JSON.stringify(CONFIG)};`,
        "const result = await run(mod.run);",
        "export default result;",
      ].join("\n"),
      resolveDir: ROOT,
      sourcefile: "eval.ts",
      loader: "ts",
    },
    outfile,
  });
  return outfile;
}

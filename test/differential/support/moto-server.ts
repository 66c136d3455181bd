/**
 * moto_server (moto's AWS emulator, Python) for the differential tests: found on PATH or not
 * at all (then the tests skip and say why), started on a free 127.0.0.1 port in a process
 * group of its own, and stopped with that whole group, so no Python process outlives the
 * test run even when a test fails or the worker exits.
 *
 * Hand-written: no npm package starts moto; its standalone server is the documented way to
 * use it from another language.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { exitWithin, hasEnded } from "#local/child-exit.ts";
import { freePort } from "#local/free-port.ts";

export interface RunningMoto {
  /** `http://127.0.0.1:<port>`, for any AWS SDK client's `endpoint`. */
  endpoint: string;
  /** Forgets every resource (moto's `POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Stops the server's process group and waits for it; safe to call twice. */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const STOP_GRACE_MS = 5_000;

/** The `moto_server` executable on PATH, or undefined. */
export const findMotoServer = (searchPath = process.env.PATH ?? ""): string | undefined => {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, "moto_server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
};

const killGroup = (child: ChildProcess, signal: NodeJS.Signals): void => {
  if (child.pid === undefined || hasEnded(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
};

const stopChild = async (child: ChildProcess): Promise<void> => {
  killGroup(child, "SIGTERM");
  if (await exitWithin(child, STOP_GRACE_MS)) return;
  killGroup(child, "SIGKILL");
  await exitWithin(child, STOP_GRACE_MS);
};

const answers = async (endpoint: string): Promise<boolean> => {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
};

/** One attempt on one port: the server once it answers, or why it did not. */
const launch = async (executable: string, deadline: number): Promise<RunningMoto | Error> => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(executable, ["-H", "127.0.0.1", "-p", String(port)], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-2_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // If this process ends without stopping it (a crashed worker), the group goes with it.
  const onExit = (): void => killGroup(child, "SIGKILL");
  process.once("exit", onExit);
  const stop = async (): Promise<void> => {
    process.off("exit", onExit);
    await stopChild(child);
  };
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });

  while (Date.now() < deadline) {
    if (spawnError) break;
    if (hasEnded(child)) {
      await stop();
      return new Error(
        `moto_server exited (${child.exitCode ?? child.signalCode}) on port ${port}: ${output}`,
      );
    }
    if (await answers(endpoint)) {
      return {
        endpoint,
        reset: async () => {
          const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
          await response.arrayBuffer();
          if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
        },
        stop,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  return spawnError ?? new Error(`moto_server did not answer on ${endpoint} in time: ${output}`);
};

/**
 * Starts moto_server and resolves once it answers; another port is tried when it exits
 * early (its port taken between choosing and binding it).
 */
export const startMotoServer = async (executable: string, startTimeoutMs = 60_000): Promise<RunningMoto> => {
  const deadline = Date.now() + startTimeoutMs;
  let last: Error | undefined;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
    const started = await launch(executable, deadline);
    if (!(started instanceof Error)) return started;
    last = started;
    if (Date.now() >= deadline) break;
  }
  throw new Error(`moto_server did not start: ${last?.message}`, { cause: last });
};

/** Why the differential tests cannot run here, or undefined when they can. */
export const motoUnavailable = (executable: string | undefined): string | undefined =>
  executable === undefined
    ? "moto_server is not on PATH (pip install 'moto[server]' to run the local emulator's differential tests)"
    : undefined;

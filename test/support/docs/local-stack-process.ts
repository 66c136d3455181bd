/**
 * `npm start -- --in-memory` as a child process, the way a developer runs it, for tests and
 * scripts that need the whole stack: free ports, a temporary state directory (never the
 * developer's .local/), the banner awaited, and a stop that leaves nothing running even when
 * the caller failed half-way (Ctrl-C to the process group, then SIGKILL to whatever is left,
 * DynamoDB Local's JVM included).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "#local/free-port.ts";
import { READY_LINE } from "#local/stack/banner.ts";
import { commandOf, descendantsOf, isAlive } from "../process-tree.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface LocalStackPorts {
  http: number;
  dynamodb: number;
  procureCore: number;
  a55: number;
}

export interface LocalStackProcess {
  ports: LocalStackPorts;
  /** CANCEL_LOCAL_DIR of this stack: secrets.json, client.env, outputs.json. */
  stateDir: string;
  /** Everything the stack printed so far. */
  output(): string;
  /** Stops the stack and everything it started, then removes the state directory. Never rejects. */
  stop(): Promise<{ leftRunning: string[] }>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the stack and waits for its banner.
 *
 * @param env variables for `npm start` on top of the ports and state directory (e.g. timers)
 * @throws when the stack exits or prints no banner within `readyTimeoutMs` (it is stopped first)
 */
export const startLocalStackProcess = async (
  options: { env?: Record<string, string>; readyTimeoutMs?: number } = {},
): Promise<LocalStackProcess> => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "cancel-stack-"));
  const ports: LocalStackPorts = {
    http: await freePort(),
    dynamodb: await freePort(),
    procureCore: await freePort(),
    a55: await freePort(),
  };
  let output = "";
  let started: number[] = [];
  const child: ChildProcess = spawn("npm", ["start", "--", "--in-memory"], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
      CANCEL_LOCAL_DIR: stateDir,
      CANCEL_LOCAL_HTTP_PORT: String(ports.http),
      CANCEL_LOCAL_DYNAMODB_PORT: String(ports.dynamodb),
      CANCEL_LOCAL_PROCURE_CORE_PORT: String(ports.procureCore),
      CANCEL_LOCAL_A55_PORT: String(ports.a55),
      ...options.env,
    },
    // Its own process group, so Ctrl-C reaches all of it, as from a terminal.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const collect = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  let stopped: Promise<{ leftRunning: string[] }> | undefined;
  const stop = (): Promise<{ leftRunning: string[] }> => {
    stopped ??= (async () => {
      const known = new Set([...started, ...(child.pid === undefined ? [] : descendantsOf(child.pid))]);
      if (child.pid !== undefined && running()) {
        try {
          process.kill(-child.pid, "SIGINT");
        } catch {
          // Already gone.
        }
        await Promise.race([exited, sleep(30_000)]);
        if (running()) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // Already gone.
          }
        }
      }
      // The JVM exits on its own SIGTERM or when its stdin closes; give it a moment, then insist.
      for (let poll = 0; poll < 50 && [...known].some(isAlive); poll += 1) await sleep(100);
      const leftRunning = [...known].filter(isAlive).map((pid) => `${pid} ${commandOf(pid)}`);
      for (const pid of known) {
        if (isAlive(pid)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // Gone meanwhile.
          }
        }
      }
      rmSync(stateDir, { recursive: true, force: true });
      return { leftRunning };
    })();
    return stopped;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 150_000);
  while (!output.includes(READY_LINE)) {
    if (!running() || Date.now() > deadline) {
      const why = running() ? "printed no banner in time" : "exited before its banner";
      await stop();
      throw new Error(`npm start ${why}:\n${output}`);
    }
    await sleep(200);
  }
  started = descendantsOf(child.pid ?? -1);
  return { ports, stateDir, output: () => output, stop };
};

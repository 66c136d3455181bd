/**
 * A terminal-like bash session for replaying a console transcript: each command runs in its
 * own `bash -c`, but what it exports (`set -a; . .local/client.env`, `TS=…` and the like) is
 * carried to the next one, as in one terminal; stdout and stderr are one stream, as on screen.
 * Paths under `.local/` are read from the stack's own state directory instead, so a replay
 * never touches the developer's `.local/`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface ShellRun {
  /** stdout and stderr together, in the order printed. */
  output: string;
  /** The command's exit code (-1 when killed, e.g. on timeout). */
  code: number;
}

export interface ShellSession {
  run(command: string, timeoutMs: number): Promise<ShellRun>;
  close(): void;
}

/** `.local/x` in a command → `$CANCEL_LOCAL_DIR/x` (the session's state directory). */
export const rewriteLocalPaths = (command: string): string =>
  command.replace(/(^|[\s="'])\.local\//g, '$1"$CANCEL_LOCAL_DIR"/');

/**
 * @param env the session's starting environment (nothing else is inherited: the test runner's
 *   own variables must not leak into what the transcript shows)
 */
export const createShellSession = (options: { cwd: string; env: Record<string, string> }): ShellSession => {
  const dir = mkdtempSync(path.join(tmpdir(), "cancel-shell-"));
  const envFile = path.join(dir, "env.sh");
  writeFileSync(envFile, "");
  const running = new Set<ChildProcess>();
  const killGroup = (child: ChildProcess): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  return {
    run: (command, timeoutMs) =>
      new Promise((resolve) => {
        const script = [
          `. ${JSON.stringify(envFile)} 2>/dev/null`,
          `cd ${JSON.stringify(options.cwd)}`,
          // Every assignment exported, so that `TS=…` in one command is there in the next.
          "set -a",
          "exec 2>&1",
          rewriteLocalPaths(command),
          "__status=$?",
          `export -p > ${JSON.stringify(envFile)}`,
          "exit $__status",
        ].join("\n");
        // Its own process group: a command that outlives its time is killed with all it started.
        const child = spawn("bash", ["-c", script], {
          env: options.env,
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        });
        running.add(child);
        let output = "";
        child.stdout?.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8");
        });
        child.stderr?.on("data", (chunk: Buffer) => {
          output += chunk.toString("utf8");
        });
        const timer = setTimeout(() => killGroup(child), timeoutMs);
        child.once("close", (code) => {
          clearTimeout(timer);
          running.delete(child);
          resolve({ output, code: code ?? -1 });
        });
      }),
    close: () => {
      for (const child of running) killGroup(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

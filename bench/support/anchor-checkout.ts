/**
 * An earlier commit of this repository, to measure beside the current code in one run
 * (the machine is shared: figures from different runs do not compare). The commit's files
 * come out of git (`git archive`) into a temporary directory that borrows this checkout's
 * node_modules (the anchor must use the same dependency versions); its own
 * `bench/support/suite-process.ts` runs a suite there exactly as `npm run bench` would.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { SuiteMessage, SuiteOutcome } from "./suite.ts";

const run = promisify(execFile);

export interface AnchorCheckout {
  commit: string;
  dir: string;
  remove(): Promise<void>;
}

/** The commit's tree in a temporary directory, or undefined (with why) when git cannot give it (a shallow clone). */
export const checkOutAnchor = async (
  commit: string,
): Promise<{ checkout?: AnchorCheckout; unavailable?: string }> => {
  const root = process.cwd();
  const dir = await mkdtemp(path.join(tmpdir(), `cancellation-anchor-${commit}-`));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await run("sh", ["-c", `git archive --format=tar "$1" | tar -x -C "$2"`, "sh", commit, dir], {
      cwd: root,
    });
    if (!existsSync(path.join(dir, "bench", "support", "suite-process.ts")))
      throw new Error("no bench there");
    await symlink(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    return { checkout: { commit, dir, remove } };
  } catch (error) {
    await remove();
    return { unavailable: `commit ${commit} not available: ${String(error).split("\n")[0]}` };
  }
};

/** Runs one suite in `dir` (a checkout) in a process of its own, as bench/run.ts does; rejects on its failure. */
export const runSuiteIn = (
  dir: string,
  suite: string,
  env: Record<string, string> = {},
): Promise<SuiteOutcome> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(dir, "bench", "support", "suite-process.ts"), suite], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env, ...env },
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    let outcome: SuiteOutcome | undefined;
    let failure: string | undefined;
    child.on("message", (message: SuiteMessage) => {
      if (message.type === "outcome") outcome = message.outcome;
      else if (message.type === "failure") failure = message.error;
    });
    child.on("exit", (code) => {
      if (outcome) resolve(outcome);
      else reject(new Error(`${suite} in ${dir} failed (exit ${code}): ${failure ?? stderr}`));
    });
  });

/**
 * Whether a child process has ended, and waiting for it to: shared by what stops the processes
 * the local stack and the tests start (DynamoDB Local's JVM, moto_server), which differ in how
 * they signal (the one child, or its process group) but not in how they wait.
 */
import type { ChildProcess } from "node:child_process";

export const hasEnded = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

/** Resolves `true` when the child exits within `ms` (at once if it already has), `false` otherwise. */
export const exitWithin = (child: ChildProcess, ms: number): Promise<boolean> =>
  hasEnded(child)
    ? Promise.resolve(true)
    : new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });

/**
 * The JVMs this process started die with it (local/dynamo-local/launcher.ts starts them): an
 * `exit` hook kills every one still running on every ordinary ending; SIGINT, SIGTERM and
 * SIGHUP kill those whose caller does not stop them on signals itself; and stopping one is
 * SIGTERM, then SIGKILL after a grace. (The launcher also halts when its stdin closes, for a
 * Node process killed with SIGKILL.)
 */
import type { ChildProcess } from "node:child_process";
import { exitWithin, hasEnded } from "../child-exit.ts";

const STOP_GRACE_MS = 5_000;

/** Every JVM still running: killed when this process exits. */
const running = new Set<ChildProcess>();
/** Those of them that SIGINT, SIGTERM and SIGHUP kill too. */
const killedOnSignal = new Set<ChildProcess>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

const killAll = (children: Set<ChildProcess>): void => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
};

const installExitHook = (): void => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => killAll(running));
};

const installSignalHooks = (): void => {
  if (signalHooksInstalled) return;
  signalHooksInstalled = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      killAll(killedOnSignal);
      process.off(signal, onSignal);
      // With no other listener, a listener swallows the signal: re-raise it so the process still ends.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
};

/** Installs, once, the `exit` hook and (`killOnSignals`) the signal hooks, before a JVM starts. */
export const installJvmHooks = (killOnSignals: boolean): void => {
  installExitHook();
  if (killOnSignals) installSignalHooks();
};

/** Tracks a spawned JVM until it exits: killed when this process exits, and on signals when `killOnSignals`. */
export const trackJvm = (child: ChildProcess, killOnSignals: boolean): void => {
  running.add(child);
  if (killOnSignals) killedOnSignal.add(child);
  child.once("exit", () => {
    running.delete(child);
    killedOnSignal.delete(child);
  });
};

/** SIGTERM, then SIGKILL after the grace; resolves when the JVM has exited (or did not within it). */
export const stopChild = async (child: ChildProcess): Promise<void> => {
  if (!hasEnded(child)) {
    child.kill("SIGTERM");
    if (!(await exitWithin(child, STOP_GRACE_MS))) {
      child.kill("SIGKILL");
      await exitWithin(child, STOP_GRACE_MS);
    }
  }
  running.delete(child);
  killedOnSignal.delete(child);
  child.stdin?.destroy();
};

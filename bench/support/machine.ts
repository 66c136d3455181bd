/** The machine and command every figure is printed and stored with. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";

export interface Machine {
  node: string;
  cpu: string;
  cores: number;
  platform: string;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the run started: the machine is shared. */
  loadAverage: number[];
}

export const describeMachine = (): Machine => ({
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: availableParallelism(),
  platform: `${process.platform}-${process.arch}`,
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
});

/** `npm run bench -- --only sweep` when started through npm, else the node command line. */
export const describeCommand = (argv: readonly string[]): string =>
  process.env.npm_lifecycle_event === "bench"
    ? ["npm run bench", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" ")
    : ["node bench/run.ts", ...argv].join(" ");

/** Busy share of all cores between two `cpus()` readings: tells a CPU-bound run from a waiting one. */
export const machineBusy = (
  before: ReturnType<typeof cpus>,
  after: ReturnType<typeof cpus>,
): { busyShare: number } => {
  let busy = 0;
  let total = 0;
  after.forEach((core, index) => {
    const earlier = before[index];
    if (!earlier) return;
    const delta = (key: keyof typeof core.times): number => core.times[key] - earlier.times[key];
    const idle = delta("idle");
    const all = delta("user") + delta("nice") + delta("sys") + delta("irq") + idle;
    busy += all - idle;
    total += all;
  });
  return { busyShare: total > 0 ? Math.round((busy / total) * 1000) / 1000 : 0 };
};

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux almost everywhere). */
const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, ms) used so far by each direct child of this process, by
 * command name — e.g. `{ java: 5230 }` for DynamoDB Local. Linux only; empty elsewhere.
 */
export const childrenCpuMs = (): Record<string, number> => {
  const totals: Record<string, number> = {};
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return totals;
  }
  for (const pid of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid … utime(14) stime(15): comm may hold spaces, so split after its ')'.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    if (Number(fields[1]) !== process.pid) continue;
    const ticks = Number(fields[11]) + Number(fields[12]);
    totals[comm] = (totals[comm] ?? 0) + (ticks / clockTicks) * 1000;
  }
  return totals;
};

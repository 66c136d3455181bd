/**
 * Where a simulation's CPU went: this process (the local stack's containers, its emulation,
 * both sandboxes and the simulator's own callers: one Node process, every thread counted by
 * `process.cpuUsage`) and DynamoDB Local's JVM (its user and system time from /proc, Linux
 * only; absent when the run was given an endpoint or /proc is not there). Per upstream cancel,
 * so two runs of different lengths compare.
 */
import { readFileSync } from "node:fs";

export interface CpuReport {
  seconds: number;
  nodeMs: number;
  /** Undefined when the JVM is not this run's or not readable. */
  jvmMs: number | undefined;
}

const jvmCpuMs = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // utime and stime, fields 14 and 15, in clock ticks (100 a second on Linux).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
};

/** Starts counting now; `stop()` answers the CPU spent since. */
export const startCpuAccount = (jvmPid: number | undefined): { stop(): CpuReport } => {
  const startedAt = Date.now();
  const node = process.cpuUsage();
  const jvm = jvmCpuMs(jvmPid);
  return {
    stop: () => {
      const used = process.cpuUsage(node);
      const jvmNow = jvmCpuMs(jvmPid);
      return {
        seconds: Math.round((Date.now() - startedAt) / 1000),
        nodeMs: Math.round((used.user + used.system) / 1000),
        jvmMs: jvm === undefined || jvmNow === undefined ? undefined : jvmNow - jvm,
      };
    },
  };
};

/** `node 155 s, JVM 125 s in 212 s (1.32 cores); per upstream cancel node 17.3 ms, JVM 13.9 ms`. */
export const describeCpu = (cpu: CpuReport, upstreamCancels: number): string => {
  const perCancel = (ms: number): string =>
    upstreamCancels > 0 ? `${(ms / upstreamCancels).toFixed(1)} ms` : "—";
  const cores = (cpu.nodeMs + (cpu.jvmMs ?? 0)) / 1000 / Math.max(cpu.seconds, 1);
  const jvm = cpu.jvmMs === undefined ? "JVM not measured" : `JVM ${Math.round(cpu.jvmMs / 1000)} s`;
  return (
    `node ${Math.round(cpu.nodeMs / 1000)} s, ${jvm} in ${cpu.seconds} s (${cores.toFixed(2)} cores); ` +
    `per upstream cancel node ${perCancel(cpu.nodeMs)}` +
    (cpu.jvmMs === undefined ? "" : `, JVM ${perCancel(cpu.jvmMs)}`)
  );
};

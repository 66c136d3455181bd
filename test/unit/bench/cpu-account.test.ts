import { describe, expect, it } from "vitest";
import { describeCpu, startCpuAccount } from "../../../bench/simulation/cpu-account.ts";

describe("simulation CPU account", () => {
  it("counts this process's CPU and a process's from /proc, and none for a process it cannot read", () => {
    const readable = startCpuAccount(process.pid);
    const unreadable = startCpuAccount(2 ** 22 + 1); // above Linux's pid_max: never a process
    const until = Date.now() + 50;
    while (Date.now() < until) Math.sqrt(Math.random()); // spend some CPU
    const cpu = readable.stop();
    expect(cpu.nodeMs).toBeGreaterThan(0);
    if (process.platform === "linux") expect(cpu.jvmMs).toBeGreaterThanOrEqual(0);
    expect(unreadable.stop().jvmMs).toBeUndefined();
    expect(startCpuAccount(undefined).stop().jvmMs).toBeUndefined();
  });

  it("describes the CPU per upstream cancel, and says when the JVM was not measured", () => {
    expect(describeCpu({ seconds: 200, nodeMs: 150_000, jvmMs: 100_000 }, 10_000)).toBe(
      "node 150 s, JVM 100 s in 200 s (1.25 cores); per upstream cancel node 15.0 ms, JVM 10.0 ms",
    );
    expect(describeCpu({ seconds: 10, nodeMs: 5_000, jvmMs: undefined }, 0)).toBe(
      "node 5 s, JVM not measured in 10 s (0.50 cores); per upstream cancel node —",
    );
  });
});

/**
 * Profiles a piece of work with V8's sampling profiler (node:inspector, in this process)
 * and says where the CPU went: self time by package / project folder, and the hottest
 * functions. Evidence for a missed CPU target.
 */
import { Session } from "node:inspector/promises";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface Hotspot {
  where: string;
  ms: number;
  /** Share of all samples, 0–1. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byPlace: Hotspot[];
  byFunction: Hotspot[];
}

const ROOT = process.cwd();

/** `@aws-lambda-powertools/logger`, `functions/handlers/http`, `node:internal/…`, `(garbage collector)`. */
export const placeOf = (url: string, functionName: string): string => {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  const file = url.startsWith("file://") ? new URL(url).pathname : url;
  return path.relative(ROOT, path.dirname(file)) || file;
};

const top = (totals: Map<string, number>, all: number, count: number): Hotspot[] =>
  [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([where, us]) => ({
      where,
      ms: Math.round(us / 100) / 10,
      share: Math.round((us / all) * 1000) / 1000,
    }));

/** Runs `work` under the profiler (1 sample per 100 µs) and summarises self time. */
export const profileCpu = async <T>(
  work: () => Promise<T>,
): Promise<{ result: T; profile: ProfileSummary }> => {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 100 });
    await session.post("Profiler.start");
    const result = await work();
    const { profile } = (await session.post("Profiler.stop")) as { profile: Profile };
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const places = new Map<string, number>();
    const functions = new Map<string, number>();
    let all = 0;
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    samples.forEach((id, index) => {
      const node = byId.get(id);
      const us = deltas[index + 1] ?? deltas[index] ?? 0;
      if (!node || node.callFrame.functionName === "(idle)") return;
      all += us;
      const { functionName, url, lineNumber } = node.callFrame;
      const place = placeOf(url, functionName);
      places.set(place, (places.get(place) ?? 0) + us);
      const fn = `${functionName || "(anonymous)"} ${place}${url ? `:${path.basename(url)}:${lineNumber + 1}` : ""}`;
      functions.set(fn, (functions.get(fn) ?? 0) + us);
    });
    return {
      result,
      profile: {
        totalMs: Math.round(all / 100) / 10,
        byPlace: top(places, all, 12),
        byFunction: top(functions, all, 12),
      },
    };
  } finally {
    await session.post("Profiler.disable").catch(() => undefined);
    session.disconnect();
  }
};

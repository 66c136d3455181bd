/**
 * Module init counted in instructions (valgrind's callgrind) instead of CPU time: opt-in for the
 * cold-start suite with `COLD_START_INSTRUCTIONS=1`. On this shared machine the CPU time of one
 * import moves with the load (the same bundles measured 1.22 and 1.49 × their reference in runs
 * minutes apart); the instructions a process executes do not depend on what else runs (the
 * processes of one bundle lie within a few per cent of each other, from JIT and GC timing). They do not count what an instruction waits for (cache misses), so
 * they are a second view beside the CPU time, not a replacement. Each bundle is imported in a
 * fresh process under callgrind (all threads), `runs` times; the median is kept. Slow: ~10 s a
 * process, one per core at once (the suite's time limit grows with this option: bench/support/suite.ts).
 *
 * Counted by a tool rather than a library: valgrind is a Debian package (`apt-get install
 * valgrind`), not an npm one; without it the suite says so and skips these figures.
 */
import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { functionEnvironment } from "./bundles.ts";
import { median } from "./stats.ts";
import { figure, type Metric } from "./suite.ts";

const run = promisify(execFile);

/** Why instructions are not counted in this run, or undefined when they are. */
export const instructionsSkipped = async (): Promise<string | undefined> => {
  if (process.env.COLD_START_INSTRUCTIONS !== "1")
    return "set COLD_START_INSTRUCTIONS=1 to count them (~10 s a process)";
  try {
    await run("valgrind", ["--version"]);
    return undefined;
  } catch {
    return "valgrind is not installed (apt-get install valgrind)";
  }
};

/** Instructions of one fresh process importing `file`, all threads. */
const countOnce = async (file: string): Promise<number> => {
  const script = `await import(${JSON.stringify(pathToFileURL(file).href)});`;
  const { stderr } = await run(
    "valgrind",
    [
      "--tool=callgrind",
      "--callgrind-out-file=/dev/null",
      process.execPath,
      "--input-type=module",
      "-e",
      script,
    ],
    { env: functionEnvironment(), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const collected = /Collected\s*:\s*(\d+)/.exec(stderr)?.[1];
  if (collected === undefined)
    throw new Error(`callgrind printed no count for ${file}: ${stderr.slice(-300)}`);
  return Number(collected);
};

/**
 * Median instructions per file, by key, over `runs` processes each. The processes run one per
 * core at once: a count, unlike a time, does not depend on what else runs.
 */
export const countInstructions = async (
  files: Record<string, string>,
  runs: number,
): Promise<Record<string, number>> => {
  const counts: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((key) => [key, []]));
  const queue = Array.from({ length: runs }, () => Object.entries(files)).flat();
  const countNext = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [key, file] = next;
      counts[key]?.push(await countOnce(file));
    }
  };
  await Promise.all(Array.from({ length: availableParallelism() }, countNext));
  return Object.fromEntries(Object.entries(counts).map(([key, values]) => [key, median(values)]));
};

/**
 * The suite's figures from the counts: each function's init (and its bound with the libraries
 * stubbed out, and the baseline's when one is given) as a ratio to its reference's, both net of
 * the empty module's.
 */
export const instructionFigures = (
  targets: readonly { name: string; referenceName: string }[],
  counts: Record<string, number>,
): Metric[] => {
  const net = (key: string): number | undefined =>
    counts[key] === undefined ? undefined : (counts[key] as number) - (counts.empty ?? 0);
  const millions = (value: number): string => `${Math.round(value / 1e6)} M`;
  const metrics: Metric[] = [
    figure("empty module import, instructions (subtracted)", (counts.empty ?? 0) / 1e6, "M", 0),
  ];
  for (const { name, referenceName } of targets) {
    const theirs = net(`reference: ${referenceName}`) ?? Number.NaN;
    const views: [label: string, key: string][] = [
      ["module init", name],
      ["with Powertools, middy and valibot stubbed out (a bound)", `libraries stubbed: ${name}`],
      ["at the baseline", `baseline: ${name}`],
    ];
    for (const [label, key] of views) {
      const own = net(key);
      if (own === undefined) continue;
      metrics.push(
        figure(
          `${name} ${label}: / reference's, instructions (${millions(own)} / ${millions(theirs)})`,
          own / theirs,
          "×",
          2,
        ),
      );
    }
  }
  return metrics;
};

/**
 * `npm run bench` — the service's benchmarks (not part of `npm test`).
 *
 *   npm run bench                       every suite, in order
 *   npm run bench -- --only sweep       one suite (its entry in results.json is replaced)
 *   npm run bench -- --readme           no suite: bench/README.md's results from results.json
 *
 * Each suite runs in a fresh Node process of its own (bench/support/suite-process.ts) and
 * stops what it started (sandboxes, DynamoDB Local) even when it fails; the runner kills
 * a suite that outlives its time limit. Figures are printed with the command and the
 * machine, and written to bench/results.json with timestamps, and from there to the results
 * section of bench/README.md (bench/support/bench-readme.ts). Ratios are always taken within
 * one suite's run: the machine is shared and noisy.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type ResultsFile, type SuiteRecord, writeBenchReadme } from "./support/bench-readme.ts";
import { describeCommand, describeMachine } from "./support/machine.ts";
import { SUITES, type SuiteEntry, type SuiteMessage, type SuiteOutcome } from "./support/suite.ts";
import { renderTable } from "./support/table.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, "results.json");
const README = path.join(HERE, "README.md");
const SUITE_PROCESS = path.join(HERE, "support", "suite-process.ts");

const usage = `usage: npm run bench [-- --only <${SUITES.map((suite) => suite.name).join("|")}> | --readme]`;

const parseArgs = (argv: readonly string[]): SuiteEntry[] => {
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--readme") {
      writeBenchReadme(README, RESULTS, SUITES);
      console.log(
        `written: ${path.relative(process.cwd(), README)} (from ${path.relative(process.cwd(), RESULTS)})`,
      );
      process.exit(0);
    } else if (arg === "--only") only = argv[++i];
    else if (arg.startsWith("--only=")) only = arg.slice("--only=".length);
    else if (arg === "--help" || arg === "-h") {
      console.log(usage);
      process.exit(0);
    } else {
      console.error(`unknown argument ${arg}\n${usage}`);
      process.exit(2);
    }
  }
  if (only === undefined) return [...SUITES];
  const chosen = SUITES.find((suite) => suite.name === only);
  if (!chosen) {
    console.error(`no suite "${only}"\n${usage}`);
    process.exit(2);
  }
  return [chosen];
};

let running: ChildProcess | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // The suite's own exit handlers stop its DynamoDB Local and sandboxes.
    if (running?.pid !== undefined) running.kill("SIGTERM");
    process.exit(130);
  });
}

/** Runs one suite in its own process; never rejects. */
const runSuite = (
  entry: SuiteEntry,
): Promise<{ outcome?: SuiteOutcome; error?: string; log: string; durationMs: number }> =>
  new Promise((resolve) => {
    const started = performance.now();
    const log = path.join(tmpdir(), `cancellation-bench-${entry.name}.log`);
    const logStream = createWriteStream(log);
    const child = spawn(process.execPath, [SUITE_PROCESS, entry.name], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env },
    });
    running = child;
    child.stderr?.pipe(logStream);
    let outcome: SuiteOutcome | undefined;
    let error: string | undefined;
    child.on("message", (message: SuiteMessage) => {
      if (message.type === "progress") console.log(`  · ${message.message}`);
      else if (message.type === "outcome") outcome = message.outcome;
      else error = message.error;
    });
    const timer = setTimeout(() => {
      error = `timed out after ${entry.timeoutMs / 1000} s`;
      child.kill("SIGTERM");
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }, 10_000).unref();
    }, entry.timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      logStream.end();
      if (!outcome && !error)
        error = `the suite's process ended (${signal ?? `exit ${code}`}) without an outcome`;
      resolve({
        ...(outcome ? { outcome } : {}),
        ...(error ? { error } : {}),
        log,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });

const tail = (file: string, lines: number): string => {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
};

const argv = process.argv.slice(2);
const chosen = parseArgs(argv);
const machine = describeMachine();
const command = describeCommand(argv);
const runStarted = new Date();

console.log(`$ ${command}`);
console.log(
  `machine: node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${machine.platform}, ` +
    `${machine.memoryGiB} GiB, load average ${machine.loadAverage.join(" / ")}`,
);
console.log(`started: ${runStarted.toISOString()}\n`);

const records: Record<string, SuiteRecord> = {};
for (const entry of chosen) {
  console.log(`▶ ${entry.title} (load average ${describeMachine().loadAverage.join(" / ")})`);
  const startedAt = new Date().toISOString();
  // Per suite: the load average when it started tells how shared the machine was.
  const suiteMachine = describeMachine();
  const result = await runSuite(entry);
  records[entry.name] = {
    title: entry.title,
    startedAt,
    durationMs: result.durationMs,
    command,
    machine: suiteMachine,
    ok: result.error === undefined,
    ...(result.error ? { error: result.error, log: result.log } : {}),
    metrics: result.outcome?.metrics ?? [],
    ...(result.outcome?.summary ? { summary: result.outcome.summary } : {}),
    notes: result.outcome?.notes ?? [],
    details: result.outcome?.details ?? {},
  };
  if (result.error) {
    console.log(`  ✗ failed: ${result.error.split("\n")[0]}\n  last lines of ${result.log}:`);
    console.log(
      tail(result.log, 15)
        .split("\n")
        .map((line) => `    ${line}`)
        .join("\n"),
    );
  }
  console.log(`  (${(result.durationMs / 1000).toFixed(1)} s)\n`);
}

console.log(`$ ${command}`);
console.log(
  `machine: node ${machine.node} · ${machine.cpu} · ${machine.cores} cores · ${runStarted.toISOString()}\n`,
);
console.log(
  renderTable(
    chosen.map((entry) => ({
      title: `${entry.title} — load average ${records[entry.name]?.machine.loadAverage[0] ?? "?"} at start`,
      metrics: records[entry.name]?.metrics ?? [],
      ...(records[entry.name]?.error ? { error: records[entry.name]?.error } : {}),
    })),
  ),
);
const notes = chosen.flatMap((entry) => (records[entry.name]?.notes ?? []).map((note) => `- ${note}`));
if (notes.length > 0) console.log(`\nnotes:\n${notes.join("\n")}`);

// One suite re-run replaces only its own entry; the others keep their own timestamps.
const previous: ResultsFile | undefined =
  chosen.length < SUITES.length && existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, "utf8")) as ResultsFile)
    : undefined;
const results: ResultsFile = {
  timestamp: new Date().toISOString(),
  command,
  machine,
  suites: { ...previous?.suites, ...records },
};
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
writeBenchReadme(README, RESULTS, SUITES);
console.log(`\nwritten: ${path.relative(process.cwd(), RESULTS)}, ${path.relative(process.cwd(), README)}`);

process.exit(Object.values(records).every((record) => record.ok) ? 0 : 1);

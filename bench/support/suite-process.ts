/**
 * The entry point of one suite's own process: `node bench/support/suite-process.ts <name>`.
 * Started by `bench/run.ts` with an IPC channel; sends progress lines and then the outcome
 * (or the failure) and exits. The service's log lines go to this process's stdout, which
 * the runner discards, as Lambda would ship them away: they cost what they cost, and the
 * table stays readable.
 */
import { SUITES, type SuiteMessage, type SuiteRun } from "./suite.ts";

const send = (message: SuiteMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) {
      process.stderr.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });

const name = process.argv[2] ?? "";
if (!SUITES.some((suite) => suite.name === name)) {
  process.stderr.write(`usage: suite-process.ts <suite name>\n`);
  process.exit(2);
}

let exitCode = 0;
try {
  const module = (await import(`../suites/${name}.ts`)) as { run: SuiteRun };
  const outcome = await module.run({
    progress: (message) => {
      void send({ type: "progress", message });
    },
  });
  await send({ type: "outcome", outcome });
} catch (error) {
  exitCode = 1;
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${text}\n`);
  await send({ type: "failure", error: text });
}
// Sandboxes and DynamoDB Local were stopped by the suite; leftover keep-alive sockets must not hold the process.
process.exit(exitCode);

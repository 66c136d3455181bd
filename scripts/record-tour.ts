/**
 * `npm run docs:tour`: runs the README's quick start and docs/tour.md on a fresh local stack
 * and writes each command's output into its page (a step whose written output still matches
 * by shape is left as it is, so hand-made elisions survive). The docs check
 * (test/smoke/docs-tour.test.ts) then compares against what was written.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { compareShapes, idsInCommands, rewriteTranscript } from "#test/support/docs/console-transcript.ts";
import { startLocalStackProcess } from "#test/support/docs/local-stack-process.ts";
import {
  asDocumented,
  checkedSteps,
  pagePath,
  STEP_TIMEOUT_MS,
  TOUR_STACK_ENV,
  tourSession,
} from "#test/support/docs/replay-tour.ts";

const pages = checkedSteps((file) => readFileSync(file, "utf8"));
const keptIds = idsInCommands(pages.flatMap(({ steps }) => steps));
console.log(
  `${pages.map(({ page, steps }) => `${page}: ${steps.length} commands`).join("; ")}; starting a fresh stack…`,
);
const stack = await startLocalStackProcess({ env: { ...TOUR_STACK_ENV } });
const session = tourSession(stack);
const printed = new Map<string, Map<number, string[]>>();
let failures = 0;
try {
  for (const { page, steps } of pages) {
    const outputs = new Map<number, string[]>();
    printed.set(page, outputs);
    for (const step of steps) {
      const run = await session.run(step.command, STEP_TIMEOUT_MS);
      const lines = asDocumented(run, stack);
      outputs.set(step.line, lines);
      const same = compareShapes(step.expected, lines, keptIds).ok;
      console.log(`${same ? "same   " : "changed"}  ${page}:${step.line}: $ ${step.command.split("\n")[0]}`);
      if (run.code !== 0) {
        failures += 1;
        console.log(
          `  exit ${run.code}: a command on these pages must end 0 (show a failure with; echo "exit $?")`,
        );
      }
    }
  }
} finally {
  session.close();
  const { leftRunning } = await stack.stop();
  if (leftRunning.length > 0) console.log(`killed what the stack left running: ${leftRunning.join("; ")}`);
}
for (const [page, outputs] of printed) {
  const file = pagePath(page);
  writeFileSync(file, rewriteTranscript(readFileSync(file, "utf8"), outputs, keptIds));
  console.log(`written: ${page}`);
}
if (failures > 0) console.log(`${failures} command(s) did not exit 0`);
process.exit(failures > 0 ? 1 : 0);

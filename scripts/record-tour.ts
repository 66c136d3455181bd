/**
 * `npm run docs:tour`: runs docs/tour.md on a fresh local stack and writes each command's
 * output into the page (a step whose written output still matches by shape is left as it
 * is). The docs check (test/smoke/docs-tour.test.ts) then compares against what was written.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { compareShapes, idsInCommands, rewriteTranscript } from "#test/support/docs/console-transcript.ts";
import { startLocalStackProcess } from "#test/support/docs/local-stack-process.ts";
import {
  asDocumented,
  STEP_TIMEOUT_MS,
  TOUR_DOC,
  TOUR_STACK_ENV,
  tourSession,
  tourSteps,
} from "#test/support/docs/replay-tour.ts";

const markdown = readFileSync(TOUR_DOC, "utf8");
const steps = tourSteps(markdown);
const keptIds = idsInCommands(steps);
console.log(`docs/tour.md: ${steps.length} commands; starting a fresh stack…`);
const stack = await startLocalStackProcess({ env: { ...TOUR_STACK_ENV } });
const session = tourSession(stack);
const printed = new Map<number, string[]>();
let failures = 0;
try {
  for (const step of steps) {
    const run = await session.run(step.command, STEP_TIMEOUT_MS);
    const lines = asDocumented(run, stack);
    printed.set(step.line, lines);
    const same = compareShapes(step.expected, lines, keptIds).ok;
    console.log(`${same ? "same   " : "changed"}  line ${step.line}: $ ${step.command.split("\n")[0]}`);
    if (run.code !== 0) {
      failures += 1;
      console.log(`  exit ${run.code}: a tour command must end 0 (show a failure with; echo "exit $?")`);
    }
  }
} finally {
  session.close();
  const { leftRunning } = await stack.stop();
  if (leftRunning.length > 0) console.log(`killed what the stack left running: ${leftRunning.join("; ")}`);
}
writeFileSync(TOUR_DOC, rewriteTranscript(markdown, printed, keptIds));
console.log(`written: docs/tour.md${failures > 0 ? ` (${failures} command(s) did not exit 0)` : ""}`);
process.exit(failures > 0 ? 1 : 0);

/**
 * The docs check: the README's quick start, then docs/tour.md, replayed on a fresh
 * `npm start` (free ports, a temporary state directory), each `$` command in order, its output compared with the page's by shape
 * (lines, fields, outcomes, exit codes; not ids, times, durations or correlation ids:
 * test/support/docs/console-transcript.ts). When the service changes what a command prints,
 * this fails at that command; `npm run docs:tour` rewrites the page from a new run.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareShapes, idsInCommands } from "#test/support/docs/console-transcript.ts";
import { type LocalStackProcess, startLocalStackProcess } from "#test/support/docs/local-stack-process.ts";
import {
  asDocumented,
  checkedSteps,
  STEP_TIMEOUT_MS,
  TOUR_STACK_ENV,
  tourSession,
} from "#test/support/docs/replay-tour.ts";
import type { ShellSession } from "#test/support/docs/shell-session.ts";

const pages = checkedSteps((file) => readFileSync(file, "utf8"));
const keptIds = idsInCommands(pages.flatMap(({ steps }) => steps));

describe("the README's quick start and docs/tour.md, on a fresh stack", () => {
  let stack: LocalStackProcess | undefined;
  let session: ShellSession | undefined;

  beforeAll(async () => {
    stack = await startLocalStackProcess({ env: { ...TOUR_STACK_ENV } });
    session = tourSession(stack);
  }, 180_000);

  afterAll(async () => {
    // Whatever failed above, nothing started here may outlive the run.
    session?.close();
    await stack?.stop();
  }, 60_000);

  it("has commands to run on each page", () => {
    expect(pages.map(({ steps }) => steps.length > 0)).toEqual(pages.map(() => true));
  });

  for (const { page, steps } of pages) {
    for (const step of steps) {
      const title = `${page}:${step.line}: $ ${step.command.split("\n")[0]}`;
      it(
        title,
        async () => {
          if (!stack || !session) throw new Error("the stack did not start");
          const run = await session.run(step.command, STEP_TIMEOUT_MS);
          const printed = asDocumented(run, stack);

          const comparison = compareShapes(step.expected, printed, keptIds);

          expect(run.code, `exit code of ${title}\n${run.output}`).toBe(0);
          expect(
            comparison.ok,
            `${title}\n${comparison.difference}\n--- printed:\n${printed.join("\n")}\n(npm run docs:tour rewrites the page)`,
          ).toBe(true);
        },
        STEP_TIMEOUT_MS + 10_000,
      );
    }
  }

  it("stops everything the stack started", async () => {
    const stopped = await stack?.stop();

    expect(stopped?.leftRunning).toEqual([]);
  }, 60_000);
});

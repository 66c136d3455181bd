/**
 * The README's quick start and docs/tour.md replayed on a local stack, in that order (as a
 * newcomer reads them): what both the docs check (test/smoke/docs-tour.test.ts) and
 * `npm run docs:tour` (which writes the output back into the pages) run.
 */
import path from "node:path";
import { parseTranscript, type TranscriptStep } from "./console-transcript.ts";
import { type LocalStackProcess, REPO_ROOT } from "./local-stack-process.ts";
import { createShellSession, type ShellRun, type ShellSession } from "./shell-session.ts";

/** The pages whose console blocks are replayed, in order, on one stack. */
export const CHECKED_PAGES: readonly string[] = ["README.md", "docs/tour.md"];

export const pagePath = (page: string): string => path.join(REPO_ROOT, page);

/**
 * The stack the tour is recorded on (the page says so): the sweep's and the continuation's
 * timers off, so that each runs when the page asks and not in between two commands.
 * Everything else as `npm start` sets it.
 */
export const TOUR_STACK_ENV: Readonly<Record<string, string>> = {
  CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS: "0",
  CANCEL_LOCAL_CONTINUATION_INTERVAL_SECONDS: "0",
};

/** The longest a page's command may take (the sweep's, on a loaded machine). */
export const STEP_TIMEOUT_MS = 90_000;

/** A terminal on the stack: the repo as working directory, the stack's state directory as `.local/`. */
export const tourSession = (stack: LocalStackProcess): ShellSession =>
  createShellSession({
    cwd: REPO_ROOT,
    env: {
      // The project's Node first, as `npm` scripts have it.
      PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: process.env.HOME ?? "/tmp",
      LANG: "C.UTF-8",
      TERM: "dumb",
      NO_COLOR: "1",
      CANCEL_LOCAL_DIR: stack.stateDir,
    },
  });

/** Output lines as the page shows them: the default ports, `.local/` for the state directory. */
export const asDocumented = (run: ShellRun, stack: LocalStackProcess): string[] => {
  const defaults: [number, number][] = [
    [stack.ports.http, 3000],
    [stack.ports.dynamodb, 8000],
    [stack.ports.procureCore, 4010],
    [stack.ports.a55, 4020],
  ];
  let text = run.output.replaceAll(stack.stateDir, ".local");
  for (const [actual, shown] of defaults) text = text.replaceAll(`127.0.0.1:${actual}`, `127.0.0.1:${shown}`);
  const lines = text.replace(/\n$/, "").split("\n");
  while (lines.length > 0 && lines.at(-1)?.trim() === "") lines.pop();
  return lines.length === 1 && lines[0] === "" ? [] : lines;
};

/** Every page's steps, in replay order. */
export const checkedSteps = (read: (file: string) => string): { page: string; steps: TranscriptStep[] }[] =>
  CHECKED_PAGES.map((page) => ({ page, steps: parseTranscript(read(pagePath(page))) }));

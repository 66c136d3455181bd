/**
 * docs/tour.md replayed on a local stack: what both the docs check
 * (test/smoke/docs-tour.test.ts) and `npm run docs:tour` (which writes the output back into
 * the page) run.
 */
import path from "node:path";
import { parseTranscript, type TranscriptStep } from "./console-transcript.ts";
import { type LocalStackProcess, REPO_ROOT } from "./local-stack-process.ts";
import { createShellSession, type ShellRun, type ShellSession } from "./shell-session.ts";

export const TOUR_DOC = path.join(REPO_ROOT, "docs", "tour.md");

/**
 * The stack the tour is recorded on: the sweep's timer off, so `cancelctl sweep` finds the
 * demo's expired intents (the page says so). Everything else as `npm start` sets it.
 */
export const TOUR_STACK_ENV: Readonly<Record<string, string>> = { CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS: "0" };

/** The longest a tour command may take (the longest waits 20 s for the continuation). */
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

export const tourSteps = (markdown: string): TranscriptStep[] => parseTranscript(markdown);

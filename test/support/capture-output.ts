/**
 * What a handler writes while a test runs it: every non-empty line of stdout and stderr, kept
 * instead of printed. The reliability suite's `OutputCapture` (test/reliability/support/log-scan.ts)
 * also wraps the console and keeps capturing across a whole case; this is for one call.
 */
import { vi } from "vitest";

/** Runs `run` with stdout and stderr captured; its result and the lines written meanwhile. */
export const withOutputCaptured = async <T>(
  run: () => Promise<T>,
): Promise<{ result: T; lines: string[] }> => {
  const lines: string[] = [];
  const swallow = (chunk: unknown): boolean => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((line) => line.trim() !== ""),
    );
    return true;
  };
  const out = vi.spyOn(process.stdout, "write").mockImplementation(swallow);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(swallow);
  try {
    return { result: await run(), lines };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
};

/** The lines written while `run` runs. */
export const captureOutput = async (run: () => Promise<void>): Promise<string[]> =>
  (await withOutputCaptured(run)).lines;

/**
 * Console transcripts in markdown (```console blocks: `$ command` lines, each followed by
 * what it printed) read as steps to run, and compared by shape: the lines, their words and
 * fields, the outcomes and exit codes, but not what changes on every run (ids, times,
 * correlation ids, durations, ports). Written here rather than taken from a library: the
 * comparison is the point of the docs check, and no snapshot tool normalises these fields.
 *
 * Rules of a transcript:
 * - a command ending in `\` goes on on the next line, as in a shell;
 * - everything after a command up to the next `$ ` line (or the block's end) is its output,
 *   trailing blank lines dropped; stdout and stderr are one stream, as a terminal shows them;
 * - an output line that is only `…` stands for any number of lines (progress, long lists);
 * - a command that fails must say so in its output (`; echo "exit $?"`): every command's own
 *   exit code must be 0.
 */

export interface TranscriptStep {
  /** The command as the shell gets it (continuation lines joined with newlines). */
  command: string;
  /** The output lines as written in the document. */
  expected: string[];
  /** 1-based line of the `$ ` line in the document. */
  line: number;
}

const FENCE_OPEN = /^```console\s*$/;
const FENCE_CLOSE = /^```\s*$/;
export const ELISION = "…";

/** Every step of every console block, in document order. */
export const parseTranscript = (markdown: string): TranscriptStep[] => {
  const lines = markdown.split("\n");
  const steps: TranscriptStep[] = [];
  let inBlock = false;
  let current: TranscriptStep | undefined;
  const finish = (): void => {
    if (!current) return;
    while (current.expected.length > 0 && current.expected.at(-1)?.trim() === "") current.expected.pop();
    steps.push(current);
    current = undefined;
  };
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index] ?? "";
    if (!inBlock) {
      inBlock = FENCE_OPEN.test(text);
      continue;
    }
    if (FENCE_CLOSE.test(text)) {
      finish();
      inBlock = false;
      continue;
    }
    if (text === "$" || text.startsWith("$ ")) {
      finish();
      let command = text.slice(2);
      const line = index + 1;
      while (command.endsWith("\\") && index + 1 < lines.length) {
        index += 1;
        command = `${command}\n${lines[index] ?? ""}`;
      }
      current = { command, expected: [], line };
    } else if (current) {
      current.expected.push(text);
    } else if (text.trim() !== "") {
      throw new Error(`line ${index + 1}: output before any "$ " command in a console block`);
    }
  }
  if (inBlock) throw new Error("a console block is not closed");
  return steps;
};

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/**
 * One output line as a shape: volatile values replaced by their kind, runs of spaces (table
 * padding, which follows the values' widths) made one. UUIDs written in the transcript's
 * commands (the demo's wallets and charges) are kept; other UUIDs (generated keys, event ids)
 * are not.
 */
export const shapeOf = (line: string, keptIds: ReadonlySet<string>): string =>
  line
    .replace(/\r$/, "")
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, "<time>")
    .replace(/\b\d{4}-\d{2}-\d{2}\b/g, "<day>")
    .replace(UUID, (id) => (keptIds.has(id.toLowerCase()) ? id : "<uuid>"))
    .replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, "<ulid>")
    // Correlation ids: API Gateway's request ids as the local front door makes them.
    .replace(/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{14}==/g, "<correlation-id>")
    .replace(/\b127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
    // Durations: `durationMs 1621`, `"durationMs":875`, `budget.waitedMs 0`, an age of `48s`.
    .replace(/\b([A-Za-z.]*Ms)("?:?\s*)\d+/g, "$1$2<ms>")
    .replace(/\b\d+(?:\.\d+)?(ms|s|m|h)\b/g, "<age>")
    .replace(/\s+/g, " ")
    .trim();

export interface ShapeComparison {
  ok: boolean;
  /** What differs first, for the failure message. */
  difference?: string;
}

/** Compares output lines with a transcript's lines by shape; `…` lines match any run of lines. */
export const compareShapes = (
  expected: readonly string[],
  actual: readonly string[],
  keptIds: ReadonlySet<string>,
): ShapeComparison => {
  const want = expected.map((line) => (line.trim() === ELISION ? ELISION : shapeOf(line, keptIds)));
  const got = actual.map((line) => shapeOf(line, keptIds));
  while (got.length > 0 && got.at(-1) === "") got.pop();
  // Matching with elisions: memoised over (position in want, position in got).
  const memo = new Map<number, boolean>();
  const matches = (w: number, g: number): boolean => {
    const key = w * (got.length + 1) + g;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (w === want.length) result = g === got.length;
    else if (want[w] === ELISION) result = matches(w + 1, g) || (g < got.length && matches(w, g + 1));
    else result = g < got.length && want[w] === got[g] && matches(w + 1, g + 1);
    memo.set(key, result);
    return result;
  };
  if (matches(0, 0)) return { ok: true };
  // The first line that differs, reading both in order (elisions skip as little as they can).
  let g = 0;
  for (let w = 0; w < want.length; w++) {
    if (want[w] === ELISION) {
      const next = want.slice(w + 1).find((line) => line !== ELISION);
      while (g < got.length && next !== undefined && got[g] !== next) g++;
      continue;
    }
    if (got[g] !== want[w]) {
      return {
        ok: false,
        difference: `output line ${g + 1}: expected the shape\n  ${want[w]}\nbut got\n  ${got[g] ?? "(no more output)"}`,
      };
    }
    g++;
  }
  return { ok: false, difference: `more output than the transcript shows, from line ${g + 1}:\n  ${got[g]}` };
};

/** UUIDs written in the commands: the transcript's own inputs, compared as they are. */
export const idsInCommands = (steps: readonly TranscriptStep[]): Set<string> =>
  new Set(steps.flatMap((step) => (step.command.match(UUID) ?? []).map((id) => id.toLowerCase())));

/**
 * The document with each step's output replaced by what was printed (record mode), so one
 * page shows one run. A step whose written output has an elision (`…`) and still matches keeps
 * its text, so hand-made elisions survive a refresh.
 */
export const rewriteTranscript = (
  markdown: string,
  printed: ReadonlyMap<number, readonly string[]>,
  keptIds: ReadonlySet<string>,
): string => {
  const steps = parseTranscript(markdown);
  const lines = markdown.split("\n");
  const out: string[] = [];
  let cursor = 0;
  for (const step of steps) {
    const actual = printed.get(step.line);
    const start = step.line - 1;
    const commandLines = step.command.split("\n").length;
    const outputStart = start + commandLines;
    const outputEnd = outputStart + step.expected.length;
    out.push(...lines.slice(cursor, outputStart));
    const keep =
      actual === undefined ||
      (step.expected.some((line) => line.trim() === ELISION) &&
        compareShapes(step.expected, actual, keptIds).ok);
    out.push(...(keep ? lines.slice(outputStart, outputEnd) : actual));
    cursor = outputEnd;
  }
  out.push(...lines.slice(cursor));
  return out.join("\n");
};

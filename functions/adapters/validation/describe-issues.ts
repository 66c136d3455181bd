/**
 * Turns valibot issues into `{ field, message }` pairs that never repeat the input.
 *
 * valibot's default messages end with `received <the input>`, and every issue keeps the
 * input (and its parents) in `input` and `path[].value`. For secrets that would leak a
 * credential into a log line, so these helpers build the text from the schema's side only
 * (what was expected, which key) and drop the issue objects themselves.
 */
import type { BaseIssue, Config, IssuePathItem } from "valibot";

/** One problem with an input: a dotted field path and a message that never holds the input. */
export interface FieldIssue {
  /** e.g. `target.chargeUuid` or `tokens[0].sha256`; empty for the value as a whole. */
  field: string;
  message: string;
}

/** Renders a valibot path as `a.b[0].c`. */
export const fieldPath = (path: readonly IssuePathItem[] | undefined): string => {
  let out = "";
  for (const item of path ?? []) {
    const key = item.key;
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
};

const ARTICLES: Readonly<Record<string, string>> = { Object: "an object", Array: "an array" };
const article = (expected: string): string => ARTICLES[expected] ?? expected;

/**
 * The message used for issues whose schema gave no message of its own. Pass it as
 * `safeParse(schema, input, { message: safeIssueMessage })`: valibot prefers a schema's own
 * message, so custom ones still win. Only `expected` (which comes from the schema) is shown.
 */
export const safeIssueMessage = (issue: BaseIssue<unknown>): string => {
  if (issue.kind === "schema" && issue.input === undefined) return "is missing";
  if (issue.kind === "schema")
    return issue.expected ? `must be ${article(issue.expected)}` : "has the wrong type";
  return issue.expected
    ? `is invalid (${issue.type}: expected ${issue.expected})`
    : `is invalid (${issue.type})`;
};

/** The parse config that makes every issue message input-free. */
export const safeParseConfig: Config<BaseIssue<unknown>> = {
  abortEarly: false,
  // One message per field: an empty id is "empty", not also "of the wrong pattern".
  abortPipeEarly: true,
  message: safeIssueMessage,
};

/**
 * Flattens issues into field/message pairs, deduplicated. Sub-issues of unions are not
 * expanded: the schemas here avoid plain unions (see `v.variant` / `v.lazy`) so every
 * issue points at one field.
 */
export const describeIssues = (issues: readonly BaseIssue<unknown>[]): FieldIssue[] => {
  const out: FieldIssue[] = [];
  const seen = new Set<string>();
  const visit = (issue: BaseIssue<unknown>): void => {
    const field = fieldPath(issue.path);
    const key = `${field}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ field, message: issue.message });
    }
  };
  for (const issue of issues) visit(issue);
  return out;
};

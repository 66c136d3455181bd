import { describe, expect, it } from "vitest";
import {
  compareShapes,
  idsInCommands,
  parseTranscript,
  rewriteTranscript,
  shapeOf,
} from "#test/support/docs/console-transcript.ts";
import { rewriteLocalPaths } from "#test/support/docs/shell-session.ts";

const PAGE = [
  "# A page",
  "",
  "```console",
  "$ npx cancelctl charge cancel c0ffee00-0000-4000-8000-000000000001 f47ac10b-58cc-4372-a567-0e02b2c3d479 \\",
  '    --reason x; echo "exit $?"',
  "REFUND_REQUIRED  charge c0ffee00-0000-4000-8000-000000000001",
  "",
  "  idempotency key  26ce7cae-98f2-4a64-98c6-7356d23c358d",
  "  correlation id   Hzg5fu+E7XRZRw==",
  "exit 2",
  "",
  "$ npx cancelctl sweep",
  "sweep: scanned 20 · cancelled 1",
  "…",
  "sweep: scanned 20 · cancelled 20",
  "  durationMs       1621",
  "```",
  "",
  "```sh",
  "$ not a transcript",
  "```",
].join("\n");

describe("console transcripts", () => {
  it("reads each $ command, its continuation lines and its output, trailing blank lines dropped", () => {
    const steps = parseTranscript(PAGE);

    expect(steps.map((step) => step.line)).toEqual([4, 12]);
    expect(steps[0]?.command).toBe(
      'npx cancelctl charge cancel c0ffee00-0000-4000-8000-000000000001 f47ac10b-58cc-4372-a567-0e02b2c3d479 \\\n    --reason x; echo "exit $?"',
    );
    expect(steps[0]?.expected).toHaveLength(5);
    expect(steps[1]?.expected.at(-1)).toBe("  durationMs       1621");
  });

  it("keeps ids written in the commands and masks generated ids, times, durations and ports", () => {
    const kept = idsInCommands(parseTranscript(PAGE));

    expect(
      shapeOf("charge c0ffee00-0000-4000-8000-000000000001  key 26ce7cae-98f2-4a64-98c6-7356d23c358d", kept),
    ).toBe("charge c0ffee00-0000-4000-8000-000000000001 key <uuid>");
    expect(shapeOf("2026-11-30T15:25:01.671Z  2s  Hzg5fu+E7XRZRw==  01JDZ8Q2M3N4P5Q6R7S8T9V0WX", kept)).toBe(
      "<time> <age> <correlation-id> <ulid>",
    );
    expect(shapeOf("durationMs 1621 · http://127.0.0.1:41234/x · report of 2026-11-30", kept)).toBe(
      "durationMs <ms> · http://127.0.0.1:<port>/x · report of <day>",
    );
    expect(shapeOf('{"finished":1,"durationMs":875}', kept)).toBe('{"finished":1,"durationMs":<ms>}');
  });

  it("matches the same shape, and an elision matches any run of lines", () => {
    const [refund, sweep] = parseTranscript(PAGE);
    const kept = idsInCommands(parseTranscript(PAGE));

    expect(
      compareShapes(
        refund?.expected ?? [],
        [
          "REFUND_REQUIRED  charge c0ffee00-0000-4000-8000-000000000001",
          "",
          "  idempotency key  0b7f4d1e-0000-4000-8000-00000000abcd",
          "  correlation id   AbCdEfGhIjKlMn==",
          "exit 2",
          "",
        ],
        kept,
      ).ok,
    ).toBe(true);
    const progress = Array.from({ length: 20 }, (_, i) => `sweep: scanned 20 · cancelled ${i + 1}`);
    expect(compareShapes(sweep?.expected ?? [], [...progress, "  durationMs 99"], kept).ok).toBe(true);
  });

  it("fails on another outcome, exit code, field or a missing line, and says where", () => {
    const [refund] = parseTranscript(PAGE);
    const kept = idsInCommands(parseTranscript(PAGE));
    const printed = refund?.expected ?? [];

    const outcome = compareShapes(
      printed,
      printed.map((l) => l.replace("REFUND_REQUIRED", "CANCELLED")),
      kept,
    );
    const exit = compareShapes(
      printed,
      printed.map((l) => l.replace("exit 2", "exit 0")),
      kept,
    );
    const field = compareShapes(
      printed,
      printed.map((l) => l.replace("idempotency key", "idempotency")),
      kept,
    );
    const missing = compareShapes(printed, printed.slice(0, -1), kept);

    expect([outcome.ok, exit.ok, field.ok, missing.ok]).toEqual([false, false, false, false]);
    expect(outcome.difference).toContain("REFUND_REQUIRED");
    expect(missing.difference).toContain("(no more output)");
  });

  it("writes what was printed, but keeps an output with an elision that still matches", () => {
    const kept = idsInCommands(parseTranscript(PAGE));
    const printed = new Map<number, string[]>([
      [4, ["CANCELLED  charge c0ffee00-0000-4000-8000-000000000001", "exit 0"]],
      [12, ["sweep: scanned 20 · cancelled 1", "sweep: scanned 20 · cancelled 20", "  durationMs 5"]],
    ]);

    const rewritten = parseTranscript(rewriteTranscript(PAGE, printed, kept));

    expect(rewritten[0]?.expected).toEqual(printed.get(4));
    expect(rewritten[1]?.expected).toContain("…");
  });

  it("reads .local/ in a command from the stack's own state directory", () => {
    expect(rewriteLocalPaths("set -a; . .local/client.env; set +a")).toBe(
      'set -a; . "$CANCEL_LOCAL_DIR"/client.env; set +a',
    );
  });
});

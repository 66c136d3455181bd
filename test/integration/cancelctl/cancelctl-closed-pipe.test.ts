/**
 * cancelctl as a shell pipeline runs it: its stdout a pipe whose reader stops early
 * (`cancelctl bulk results <id> | head`). The process itself, so that the write to the
 * closed pipe happens as it does there.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CANCELCTL = fileURLToPath(new URL("../../../bin/cancelctl.ts", import.meta.url));

describe("cancelctl on a closed pipe", () => {
  it("ends quietly with 0 when its reader has gone (EPIPE), instead of an unhandled stream error", async () => {
    const child = spawn(process.execPath, [CANCELCTL, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    // The reader goes before cancelctl writes its first line.
    child.stdout.destroy();
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", (exit) => resolve(exit)));

    expect(err).toBe("");
    expect(code).toBe(0);
  });
});

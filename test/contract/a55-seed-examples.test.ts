/**
 * Seed 001's own examples against the A55 sandbox, unchanged: the Node.js example runs as
 * a child process of Node 22 with only `A55_API_URL` and `A55_ACCESS_TOKEN` set, and the
 * cURL request runs with the real curl, only its host replaced. The fixtures are verbatim
 * copies of the seed document (docs/upstream-contracts/a55-charge-cancel.txt), which a test
 * checks.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningA55Sandbox, startA55Sandbox } from "#local/sandboxes/a55/a55-sandbox.ts";
import {
  A55_DEMO_CHARGES,
  A55_DEMO_STATIC_TOKEN,
  A55_DEMO_WALLET,
} from "#local/sandboxes/a55/demo-charges.ts";

const run = promisify(execFile);

const SEED_PATH = fileURLToPath(
  new URL("../../docs/upstream-contracts/a55-charge-cancel.txt", import.meta.url),
);
const NODE_EXAMPLE = fileURLToPath(new URL("../fixtures/seed-a55-example.mjs", import.meta.url));
const CURL_EXAMPLE = fileURLToPath(new URL("../fixtures/seed-a55-curl.sh", import.meta.url));
const SEED_HOST = "https://core-manager.a55.tech";
const SEED_KEY = "550e8400-e29b-41d4-a716-446655440000";
const CURL = "/usr/bin/curl";

/** The seed's documented error response example, copied from the seed. */
const SEED_ERROR_EXAMPLE = {
  charge_uuid: "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
  status: "error",
  message: [
    {
      code: "CANCEL_NOT_ALLOWED",
      source: "charge",
      description: "Charge has already been settled and cannot be cancelled. Use refund instead.",
    },
  ],
};

/** The lines from the first one starting with `first` up to (without) the first one starting with `until`. */
const section = (document: string, first: string, until: string): string => {
  const lines = document.split("\n");
  const start = lines.findIndex((line) => line.startsWith(first));
  const end = lines.findIndex((line, i) => i > start && line.startsWith(until));
  if (start < 0 || end < 0) throw new Error(`section "${first}" … "${until}" not found in the seed`);
  return `${lines.slice(start, end).join("\n")}\n`;
};

describe("seed 001 fixtures are verbatim copies of the seed", () => {
  const seed = readFileSync(SEED_PATH, "utf8");

  it("the Node.js example", () => {
    expect(readFileSync(NODE_EXAMPLE, "utf8")).toBe(
      section(seed, "const token = process.env.A55_ACCESS_TOKEN;", "错误响应示例"),
    );
  });

  it("the cURL example", () => {
    expect(readFileSync(CURL_EXAMPLE, "utf8")).toBe(section(seed, "curl ", "import requests"));
  });

  it("the error response example", () => {
    const start = seed.indexOf("错误响应示例");
    const json = seed.slice(seed.indexOf("{", start), seed.lastIndexOf("}") + 1);
    expect(JSON.parse(json)).toEqual(SEED_ERROR_EXAMPLE);
  });
});

describe("seed 001 examples against the A55 sandbox", () => {
  let sandbox: RunningA55Sandbox;

  beforeEach(async () => {
    sandbox = await startA55Sandbox();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it("the Node.js example runs unchanged on Node 22 and prints its success line", async () => {
    // Prepare
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(22);
    const env = { A55_API_URL: sandbox.url, A55_ACCESS_TOKEN: A55_DEMO_STATIC_TOKEN };

    // Act: async, so this process's event loop keeps serving the sandbox
    const first = await run(process.execPath, [NODE_EXAMPLE], { env, timeout: 15_000 });
    const second = await run(process.execPath, [NODE_EXAMPLE], { env, timeout: 15_000 });

    // Assess
    const line = `已取消:${A55_DEMO_CHARGES.cancellable}——状态:canceled\n`;
    expect(first).toEqual({ stdout: line, stderr: "" });
    expect(second).toEqual({ stdout: line, stderr: "" });
    expect(sandbox.seen().map((r) => [r.status, r.replayed, r.idempotencyKey])).toEqual([
      [200, false, SEED_KEY],
      [200, true, SEED_KEY],
    ]);
    expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
  });

  it("the cURL request: success, replayed, then the settled charge's documented error", async () => {
    // Prepare: the seed's command, host replaced, with -i to see the status and headers
    expect(existsSync(CURL)).toBe(true);
    const command = readFileSync(CURL_EXAMPLE, "utf8").trimEnd().replaceAll(SEED_HOST, sandbox.url);
    expect(command).not.toBe(readFileSync(CURL_EXAMPLE, "utf8").trimEnd());
    const curl = async (script: string) => {
      const { stdout } = await run("/bin/sh", ["-c", `${script} -i`], {
        env: { PATH: "/usr/bin:/bin", A55_ACCESS_TOKEN: A55_DEMO_STATIC_TOKEN },
        timeout: 15_000,
      });
      const split = stdout.indexOf("\r\n\r\n");
      const head = stdout.slice(0, split).split("\r\n");
      const headers = new Map(
        head
          .slice(1)
          .map((h) => [h.slice(0, h.indexOf(":")).toLowerCase(), h.slice(h.indexOf(":") + 1).trim()]),
      );
      return {
        status: Number(head[0]?.split(" ")[1]),
        headers,
        body: JSON.parse(stdout.slice(split + 4)) as unknown,
      };
    };

    // Act
    const first = await curl(command);
    const again = await curl(command);
    const settled = await curl(
      command
        .replace(A55_DEMO_CHARGES.cancellable, A55_DEMO_CHARGES.settled)
        .replace(SEED_KEY, crypto.randomUUID()),
    );

    // Assess
    const success = {
      charge_uuid: A55_DEMO_CHARGES.cancellable,
      wallet_uuid: A55_DEMO_WALLET,
      status: "canceled",
      message: {},
    };
    expect(first.status).toBe(200);
    expect(first.body).toEqual(success);
    expect(first.headers.get("x-request-id")).toBeTruthy();
    expect(first.headers.has("idempotent-replayed")).toBe(false);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(success);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(settled.status).toBe(409);
    expect(settled.body).toEqual({ ...SEED_ERROR_EXAMPLE, charge_uuid: A55_DEMO_CHARGES.settled });
    expect(sandbox.effects.total()).toBe(1);
  });
});

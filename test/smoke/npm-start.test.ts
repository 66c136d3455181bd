/**
 * `npm start -- --in-memory` end to end, as a developer runs it: start the stack on free
 * ports with a temporary state directory (never the developer's .local/), wait for the
 * banner, take the cancelctl tour, press Ctrl-C (SIGINT to the process group, as a
 * terminal does) and check that nothing it started is left running.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "#local/free-port.ts";
import { READY_LINE } from "#local/stack/banner.ts";
import { commandOf, descendantsOf, isAlive } from "#test/support/process-tree.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CANCELCTL = path.join(REPO, "bin", "cancelctl.ts");
const DEMO_WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const DEMO_CHARGES = {
  cancellable: "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
  settled: "c0ffee00-0000-4000-8000-000000000001",
};
const DEMO_EXPIRED_INTENTS = 20;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe("npm start (smoke)", () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "cancel-smoke-"));
  let ports: { http: number; dynamodb: number; procureCore: number; a55: number };
  let stack: ChildProcess | undefined;
  let output = "";
  let started: number[] = [];
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  const childEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: `${path.join(REPO, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    CANCEL_LOCAL_DIR: stateDir,
  });

  const cancelctl = (...args: string[]): Promise<CliRun> =>
    new Promise((resolve) => {
      // Run through the shebang, as `npx cancelctl` does.
      execFile(CANCELCTL, args, { env: childEnv(), timeout: 120_000 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      });
    });

  beforeAll(async () => {
    ports = {
      http: await freePort(),
      dynamodb: await freePort(),
      procureCore: await freePort(),
      a55: await freePort(),
    };
    stack = spawn("npm", ["start", "--", "--in-memory"], {
      cwd: REPO,
      env: {
        ...childEnv(),
        CANCEL_LOCAL_HTTP_PORT: String(ports.http),
        CANCEL_LOCAL_DYNAMODB_PORT: String(ports.dynamodb),
        CANCEL_LOCAL_PROCURE_CORE_PORT: String(ports.procureCore),
        CANCEL_LOCAL_A55_PORT: String(ports.a55),
        // The tour's dry run must see the demo's expired intents: no timer sweep first.
        CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS: "0",
      },
      // Its own process group, so Ctrl-C can be sent to the group as a terminal does.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const child = stack;
    exit = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    const deadline = Date.now() + 150_000;
    while (!output.includes(READY_LINE)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`npm start exited before the banner:\n${output}`);
      }
      if (Date.now() > deadline) throw new Error(`No banner within 150 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    started = descendantsOf(child.pid ?? -1);
  }, 180_000);

  afterAll(async () => {
    // Whatever happened above, nothing this test started may outlive it.
    if (stack?.pid !== undefined && stack.exitCode === null && stack.signalCode === null) {
      try {
        process.kill(-stack.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    for (const pid of started) {
      if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
    rmSync(stateDir, { recursive: true, force: true });
  }, 30_000);

  it("prints the banner with the configured ports and writes the state to CANCEL_LOCAL_DIR only", () => {
    expect(output).toContain(`HTTP API         http://127.0.0.1:${ports.http}`);
    expect(output).toContain(`DynamoDB Local   http://127.0.0.1:${ports.dynamodb}   in memory`);
    expect(existsSync(path.join(stateDir, "secrets.json"))).toBe(true);
    expect(readFileSync(path.join(stateDir, "client.env"), "utf8")).toContain(
      `CANCEL_API_URL=http://127.0.0.1:${ports.http}`,
    );
    // The stack runs a JVM (DynamoDB Local) under it.
    expect(started.map(commandOf).some((command) => command.includes(`-port ${ports.dynamodb}`))).toBe(true);
  });

  it("cancelctl --help works through the bin entry", async () => {
    const run = await cancelctl("--help");

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("cancelctl intent cancel <intentId>");
  });

  it("intent cancel intent_67890 → CANCELLED, exit 0", async () => {
    const run = await cancelctl("intent", "cancel", "intent_67890", "--reason", "smoke test");

    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^CANCELLED {2}intent intent_67890/);
    expect(run.stdout).toMatch(/data\.status +CANCELLED/);
  });

  it("charge cancel of the cancellable demo charge → CANCELLED, exit 0", async () => {
    const run = await cancelctl("charge", "cancel", DEMO_CHARGES.cancellable, DEMO_WALLET);

    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^CANCELLED {2}charge/);
    expect(run.stdout).toMatch(/status +canceled/);
  });

  it("charge cancel of the settled demo charge → REFUND_REQUIRED, exit 2", async () => {
    const run = await cancelctl("charge", "cancel", DEMO_CHARGES.settled, DEMO_WALLET, "--json");

    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: "REFUND_REQUIRED", httpStatus: 409 });
  });

  it("order cancel of the PROCESSING intent → PENDING, exit 0", async () => {
    const run = await cancelctl(
      "order",
      "cancel",
      "order-smoke-1",
      "--intent",
      "intent_processing",
      "--json",
    );

    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: "PENDING",
      body: { orderId: "order-smoke-1", outcome: "PENDING", steps: { intent: { id: "intent_processing" } } },
    });
  });

  it("audit intent intent_67890 lists the HTTP cancel", async () => {
    const run = await cancelctl("audit", "intent", "intent_67890", "--json");

    expect(run, run.stderr).toMatchObject({ code: 0 });
    const { body } = JSON.parse(run.stdout) as { body: { items: Record<string, unknown>[] } };
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ outcome: "CANCELLED", trigger: "http", reason: "smoke test" });
  });

  it("sweep --dry-run reports the demo's expired intents and cancels nothing, with progress", async () => {
    const run = await cancelctl("sweep", "--dry-run", "--json");

    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: "DRY RUN",
      summary: { dryRun: true, wouldCancel: DEMO_EXPIRED_INTENTS, cancelled: 0, failed: 0 },
    });
    expect(run.stderr).toContain(`sweep (dry run): scanned ${DEMO_EXPIRED_INTENTS}`);
  });

  it("sweep cancels them, with progress", async () => {
    const run = await cancelctl("sweep", "--json");

    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: "SWEPT",
      summary: { dryRun: false, cancelled: DEMO_EXPIRED_INTENTS, failed: 0 },
    });
    expect(run.stderr).toContain(`cancelled ${DEMO_EXPIRED_INTENTS}`);
  });

  it("the bus takes a Cancel Requested event; its work queue drains into the bus function, no dead letter", async () => {
    // Prepare
    const api = `http://127.0.0.1:${ports.http}`;

    // Act
    const put = await fetch(`${api}/events`, {
      method: "POST",
      body: JSON.stringify({
        Entries: [
          {
            Source: "smoke.test",
            DetailType: "Cancel Requested",
            Detail: JSON.stringify({
              target: { type: "intent", id: "intent_draft" },
              idempotencyKey: "smoke-bus-1",
            }),
            EventBusName: "cancellation-local",
          },
        ],
      }),
    });

    // Assess: the event went to the work queue, and the queue drained (a cold start included).
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ FailedEntryCount: 0 });
    type Listing = {
      queues: { name: string; visible: number; inFlight: number; delayed: number }[];
      deadLetters: unknown[];
      functions: { name: string; invocations: number }[];
    };
    const busy = (listing: Listing) => listing.queues.some((q) => q.visible + q.inFlight + q.delayed > 0);
    let listing: Listing = { queues: [], deadLetters: [], functions: [] };
    for (let poll = 0; poll < 150; poll += 1) {
      listing = (await (await fetch(`${api}/events`)).json()) as Listing;
      const consumer = listing.functions.find((fn) => fn.name === "cancel-requested");
      if ((consumer?.invocations ?? 0) > 0 && !busy(listing)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(busy(listing), JSON.stringify(listing.queues)).toBe(false);
    expect(listing.deadLetters).toEqual([]);
    const audit = await cancelctl("audit", "intent", "intent_draft", "--json");
    expect(audit, audit.stderr).toMatchObject({ code: 0 });
    const { body } = JSON.parse(audit.stdout) as { body: { items: Record<string, unknown>[] } };
    expect(body.items).toEqual([
      expect.objectContaining({ trigger: "bus", outcome: "NOT_CANCELLABLE", idempotencyKey: "smoke-bus-1" }),
    ]);
  });

  it("bulk submit --wait of a CSV runs the job to DONE with the local client's grants, exit 0", async () => {
    const file = path.join(stateDir, "bulk.csv");
    writeFileSync(
      file,
      "type,id\nintent,intent_completed\nintent,intent_cancelled\nintent,intent_unknown_404\n",
    );

    const run = await cancelctl("bulk", "submit", "--file", file, "--reason", "smoke test", "--wait");

    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^DONE {2}bulk cancellation [0-9a-f-]{36}: 3 of 3 done/m);
    for (const outcome of ["1 NOT_CANCELLABLE", "1 ALREADY_CANCELLED", "1 NOT_FOUND"]) {
      expect(run.stdout).toContain(outcome);
    }
  });

  it("the service's outcome events reach GET /events through the outbox relay", async () => {
    const api = `http://127.0.0.1:${ports.http}`;
    type Listing = {
      published: {
        "detail-type": string;
        detail: { eventId: string; target: { id: string }; trigger: string };
      }[];
      relayFailures?: unknown[];
    };
    // The outbox relay publishes from the audit table's stream, a moment after each commit.
    const expected = [
      "Cancellation Succeeded intent_67890 http",
      "Cancellation Rejected intent_draft bus",
      // The sweep's cancels of the demo's expired intents.
      ...Array.from(
        { length: DEMO_EXPIRED_INTENTS },
        (_, i) => `Cancellation Succeeded intent_expired_${String(i + 1).padStart(4, "0")} schedule`,
      ),
    ];
    const outcomesOf = (listing: Listing) =>
      listing.published.map((e) => `${e["detail-type"]} ${e.detail.target.id} ${e.detail.trigger}`);
    let listing: Listing = { published: [] };
    for (let poll = 0; poll < 150; poll += 1) {
      listing = (await (await fetch(`${api}/events`)).json()) as Listing;
      if (expected.every((outcome) => outcomesOf(listing).includes(outcome))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const outcomes = outcomesOf(listing);
    for (const outcome of expected) expect(outcomes).toContain(outcome);
    // Each with its stable id (the audit record's ULID), for consumers to drop duplicates.
    const ids = listing.published.map((e) => e.detail.eventId);
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect(listing.relayFailures).toEqual([]);
  });

  it("Ctrl-C stops everything it started, java included", async () => {
    // Prepare
    const pid = stack?.pid ?? -1;
    expect(started.length).toBeGreaterThan(0);

    // Act
    process.kill(-pid, "SIGINT");
    const ended = await Promise.race([
      exit,
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 30_000)),
    ]);

    // Assess
    expect(ended, output).not.toBe("timeout");
    expect(output).toContain("Stopped.");
    // The JVM exits on its own SIGTERM or when its stdin closes; give it a moment.
    for (let poll = 0; poll < 50 && started.some(isAlive); poll += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(started.filter(isAlive).map((p) => `${p} ${commandOf(p)}`)).toEqual([]);
  }, 60_000);
});

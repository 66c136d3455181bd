import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";

/**
 * `cancelctl bulk …` end to end: the real CLI, signing, through the local stack's front door
 * to the exported HTTP handler; the job driven by the exported continuation handler and its
 * items run by the exported bus handler, on DynamoDB Local and the local SQS.
 */
describe("cancelctl bulk", () => {
  let kit: HandlerKit;
  let door: RunningFrontDoor;
  let dir: string;
  let running = true;
  let background: Promise<void>;

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "cancelctl-bulk",
      dynamoEndpoint: inject("dynamoEndpoint"),
      bulkPacing: { recheckMs: 0 },
    });
    door = await startTestFrontDoor({ http: kit.handlers.http as never });
    dir = await mkdtemp(path.join(tmpdir(), "cancelctl-bulk-"));
    // The platform, as deployed: the schedule runs the continuation, the mapping drains the queue.
    background = (async () => {
      while (running) {
        await kit.handlers.continuation({}, lambdaContext({ remainingMs: 30_000 }));
        while (kit.busQueue.queue.counts().visible > 0) await kit.busQueue.deliverBatch(kit.handlers.bus);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
  });
  afterAll(async () => {
    running = false;
    await background;
    await door?.close();
    await kit?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = async (argv: string[], errIsTty = false) => {
    let out = "";
    let err = "";
    const code = await runCli(
      argv,
      {
        CANCEL_API_URL: door.url,
        APP_ID: kit.app.appId,
        APP_SECRET: kit.app.secret,
        CANCEL_LOCAL_DIR: "/nonexistent",
      },
      { out: (text) => (out += `${text}\n`), err: (text) => (err += text), errIsTty },
    );
    return { code, out, err };
  };
  const file = async (name: string, text: string): Promise<string> => {
    const at = path.join(dir, name);
    await writeFile(at, text);
    return at;
  };

  it("submit --wait follows a CSV job to DONE with plain progress lines; status, results and the CSV report read it back", async () => {
    const [a, b, c] = [kit.newIntent("SUBMITTED"), kit.newIntent("SUBMITTED"), kit.newIntent("COMPLETED")];
    const ids = await file("ids.csv", `id\n${a}\n${b}\n${c}\n${a}\n`);

    const submitted = await run(["bulk", "submit", "--file", ids, "--reason", "supplier outage", "--wait"]);

    expect(submitted.code).toBe(0);
    expect(submitted.err).toMatch(/^bulk cancellation [0-9a-f-]{36} submitted \(4 lines\); waiting/);
    expect(submitted.err).toMatch(/\n4\/4 done {2}.*DONE\n$/);
    expect(submitted.err).not.toContain("\r");
    const jobId = /DONE {2}bulk cancellation ([0-9a-f-]{36}): 4 of 4 done/.exec(submitted.out)?.[1] ?? "";
    expect(jobId).not.toBe("");
    expect(submitted.out).toContain("2 CANCELLED, 1 NOT_CANCELLABLE, 1 DUPLICATE");

    const status = await run(["bulk", "status", jobId, "--json"]);
    expect(JSON.parse(status.out)).toMatchObject({ id: jobId, state: "DONE", reason: "supplier outage" });

    const table = await run(["bulk", "results", jobId]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^4 items of bulk cancellation/);
    expect(table.out).toMatch(new RegExp(`\\n2 +intent ${a} +CANCELLED`));
    expect(table.out).toMatch(new RegExp(`\\n5 +intent ${a} +DUPLICATE +the same target as line 2`));

    const cancelled = JSON.parse(
      (await run(["bulk", "results", jobId, "--outcome", "CANCELLED", "--json"])).out,
    );
    expect(cancelled.items.map((row: { line: number }) => row.line)).toEqual([2, 3]);

    const csv = await run(["bulk", "results", jobId, "--csv"]);
    expect(csv.out.split("\r\n")[0]).toBe(
      "line,type,id,chargeUuid,walletUuid,orderId,intentId,outcome,upstreamStatus,upstreamCode,reason,duplicateOf,startedAt,finishedAt,trail",
    );
    expect(csv.out.trimEnd().split("\r\n")).toHaveLength(5);

    const stop = await run(["bulk", "stop", jobId]);
    expect(stop.code).toBe(1);
    expect(stop.out).toContain("The job is already DONE: there is nothing to stop");
  });

  it("on a terminal, --wait redraws one progress bar with done/total, rate and state", async () => {
    const ids = await file("tty.csv", `id\n${kit.newIntent("SUBMITTED")}\n${kit.newIntent("SUBMITTED")}\n`);

    const submitted = await run(["bulk", "submit", "--file", ids, "--wait"], true);

    expect(submitted.code).toBe(0);
    // The last redraw: carriage return and erase-line (ESC [2K), then the bar at 2/2 and DONE.
    const lastRedraw = submitted.err.slice(submitted.err.lastIndexOf("\r"));
    expect(lastRedraw.startsWith("\r\x1b[2K")).toBe(true);
    expect(lastRedraw.slice("\r\x1b[2K".length)).toMatch(/^\[█+\] {2}2\/2 done {2}.*DONE\n$/);
  });

  it("a file with invalid lines is answered line by line and creates nothing; --skip-invalid runs the others", async () => {
    const ids = await file("bad.csv", `type,id\nintent,${kit.newIntent("SUBMITTED")}\nparcel,p1\nintent,\n`);

    const refused = await run(["bulk", "submit", "--file", ids]);
    const skipped = await run(["bulk", "submit", "--file", ids, "--skip-invalid", "--json"]);

    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/^FAILED \(HTTP 400: validation\) {2}bulk submit/);
    expect(refused.out).toMatch(/\n {2}line 3: type /);
    expect(refused.out).toMatch(/\n {2}line 4: id /);
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.out).job).toMatchObject({ state: "QUEUED", total: 3, counts: { REJECTED: 2 } });
  });

  it("bad usage: no --file, a file that cannot be read, an unknown job", async () => {
    expect((await run(["bulk", "submit"])).code).toBe(64);
    const missing = await run(["bulk", "submit", "--file", path.join(dir, "nope.csv")]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^cancelctl: Cannot read .*nope\.csv/);
    const unknown = await run(["bulk", "status", "00000000-0000-4000-8000-000000000000"]);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toMatch(/^FAILED \(HTTP 404: not-found\)/);
  });
});

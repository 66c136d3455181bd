/**
 * Suite 5 — local HTTP load: autocannon for 20 s against `npm start`'s front door (each
 * request becomes an API Gateway v2 event for the exported HTTP handler), every request
 * a freshly signed cancel of a fresh SUBMITTED intent with its own Idempotency-Key
 * (signed per request in `setupRequest`). The server runs in a process of its own
 * (bench/support/load-server.ts) so the load generator does not share its event loop; the
 * outbox relay runs in it too, and the lag from each cancel's commit to its event's arrival
 * on the bus is measured over the counted run. A 3 s warm-up run comes first and is not counted.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { signRequest } from "#adapters/http/request-signature.ts";
import type { LoadServerReady, LoadServerStats } from "../support/load-server.ts";
import { exactly, figure, type SuiteRun } from "../support/suite.ts";

const DURATION_S = 20;
const WARMUP_S = 3;
const CONNECTIONS = 16;
/** More than the server can cancel in 23 s on this machine, so every request finds a fresh intent. */
const INTENTS = 40_000;
const BODY = JSON.stringify({ reason: "bench: load" });
const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "support", "load-server.ts");

const startServer = (): Promise<{ child: ChildProcess; ready: LoadServerReady }> =>
  new Promise((resolve, reject) => {
    const child = fork(SERVER, [String(INTENTS)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const onExit = (code: number | null) =>
      reject(new Error(`the load server exited (${code}) before it was ready`));
    child.once("exit", onExit);
    child.once("error", reject);
    child.once("message", (message: LoadServerReady) => {
      child.off("exit", onExit);
      resolve({ child, ready: message });
    });
  });

const askStats = (child: ChildProcess): Promise<LoadServerStats> =>
  new Promise((resolve) => {
    child.once("message", (message: LoadServerStats) => resolve(message));
    child.send({ type: "stats" });
  });

const stopServer = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: "stop" });
  });

export const run: SuiteRun = async ({ progress }) => {
  progress("starting the server process (DynamoDB Local, sandboxes, front door)");
  const { child, ready } = await startServer();
  try {
    const signer = { appId: ready.app.appId, appSecret: ready.app.secret };
    let next = 0;
    const nextId = (): string => {
      next++;
      return `${ready.ids.prefix}${String(next).padStart(ready.ids.width, "0")}`;
    };
    const request = () => ({
      method: "POST" as const,
      setupRequest: (req: autocannon.Request): autocannon.Request => {
        const pathAndQuery = `/api/v1/intents/${nextId()}/cancel`;
        return {
          ...req,
          method: "POST",
          path: pathAndQuery,
          body: BODY,
          headers: {
            ...signRequest(signer, { method: "POST", pathAndQuery, body: BODY }, Date.now()),
            "content-type": "application/json",
            "idempotency-key": randomUUID(),
          },
        };
      },
    });
    const load = (duration: number) =>
      autocannon({
        url: ready.url,
        connections: CONNECTIONS,
        duration,
        timeout: 15,
        requests: [request()],
      });

    progress(`warm-up: ${WARMUP_S} s`);
    await load(WARMUP_S);
    const beforeMeasured = next;
    child.send({ type: "mark" });
    progress(`measuring: ${DURATION_S} s, ${CONNECTIONS} connections`);
    const result = await load(DURATION_S);
    const sent = next - beforeMeasured;
    if (next >= ready.ids.count)
      throw new Error(`ran out of fresh intents (${next} of ${ready.ids.count} used)`);
    const stats = await askStats(child);
    progress(
      `${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    );
    return {
      metrics: [
        figure("duration", result.duration, "s", 1),
        figure("connections", CONNECTIONS, "", 0),
        figure("requests answered", result["2xx"] + result.non2xx, "", 0),
        figure("throughput (mean)", result.requests.average, "req/s", 0),
        figure("latency p50", result.latency.p50, "ms", 1),
        figure("latency p99", result.latency.p99, "ms", 1),
        exactly("errors (connection errors, timeouts)", result.errors, 0),
        exactly("non-2xx answers", result.non2xx, 0),
        exactly("intents cancelled upstream more than once", stats.duplicated, 0),
        exactly(
          "outcome events published − intents cancelled (warm-up included)",
          stats.published - stats.effects,
          0,
        ),
        figure("event lag, commit → bus, p50", stats.lagMs.p50, "ms", 1),
        figure("event lag, commit → bus, p99", stats.lagMs.p99, "ms", 1),
        figure("event lag, commit → bus, max", stats.lagMs.max, "ms", 1),
      ],
      details: {
        tool: "autocannon 9 (programmatic), setupRequest signs each request",
        warmupSeconds: WARMUP_S,
        connections: CONNECTIONS,
        requestsSent: sent,
        requests: result.requests,
        latencyMs: result.latency,
        statusCodes: result.statusCodeStats,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        upstreamEffectsIncludingWarmup: stats.effects,
        outbox: {
          relay: "local event source mapping on DynamoDB Local's stream, in the server process",
          publishedIncludingWarmup: stats.published,
          measured: stats.measured,
          lagMs: stats.lagMs,
        },
        intentsUsedIncludingWarmup: next,
      },
    };
  } finally {
    await stopServer(child);
  }
};

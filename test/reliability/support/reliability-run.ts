/**
 * What every reliability case sets up around the handler kit: output capture and the
 * credential registry (case 5), an `unhandledRejection` watch, and the upstream traffic
 * recorder. Each case file starts one run in `beforeAll`, ends it with `assertCleanRun`
 * as its last test, and stops it in `afterAll`.
 */
import { readFile, writeFile } from "node:fs/promises";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { expect } from "vitest";
import { type HandlerKit, type HandlerKitOptions, startHandlerKit } from "#test/support/handler-kit.ts";
import { CredentialScanner, OutputCapture, UnhandledRejections } from "./log-scan.ts";
import { UpstreamTraffic } from "./upstream-traffic.ts";

export interface ReliabilityRun {
  kit: HandlerKit;
  traffic: UpstreamTraffic;
  capture: OutputCapture;
  credentials: CredentialScanner;
  rejections: UnhandledRejections;
  /** `kit.signed`, with the signature registered for the log scan. */
  signed(input: Parameters<HandlerKit["signed"]>[0]): APIGatewayProxyEventV2;
  /** Stops capturing and the sandboxes; safe to call when the start failed half way. */
  stop(options?: { dropTables?: boolean }): Promise<void>;
}

interface SecretsFile {
  "procure-core": { appSecret: string };
  a55: { accessToken?: string; clientSecret?: string };
}

/** Starts the kit (DEBUG logs, so the scan sees the most) with everything above around it. */
export const startReliabilityRun = async (options: HandlerKitOptions): Promise<ReliabilityRun> => {
  const capture = new OutputCapture();
  const rejections = new UnhandledRejections();
  const traffic = new UpstreamTraffic();
  const credentials = new CredentialScanner();
  capture.start();
  rejections.start();
  traffic.recordFetch();
  let kit: HandlerKit | undefined;
  const stop = async (closeOptions?: { dropTables?: boolean }): Promise<void> => {
    capture.stop();
    // To read what a failed case logged: RELIABILITY_LOG_DIR=/tmp/somewhere (never commit such a file).
    const dir = process.env.RELIABILITY_LOG_DIR;
    if (dir) await writeFile(`${dir}/${options.name}.log`, `${capture.lines.join("\n")}\n`);
    rejections.stop();
    traffic.restore();
    await kit?.close(closeOptions);
  };
  try {
    kit = await startHandlerKit({
      logLevel: "DEBUG",
      ...options,
      // The sandboxes here enforce no rate limit, so neither does the service's budget in
      // effect: every attempt still takes a slot (and pays its round trip), but the limits are
      // far above these runs' pace and background work may use all of them.
      env: {
        A55_BUDGET_PER_MINUTE: "1000",
        PROCURE_CORE_BUDGET_PER_MINUTE: "1000",
        BACKGROUND_BUDGET_SHARE: "1",
        ...options.env,
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  traffic.tapSandboxes(kit);
  const secrets = JSON.parse(await readFile(kit.secretsFile, "utf8")) as SecretsFile;
  credentials.add("storefront app secret", kit.app.secret);
  credentials.add("client token", kit.clientToken);
  credentials.add("wide client token", kit.wideClientToken);
  credentials.add("Procure-Core app secret", secrets["procure-core"].appSecret);
  if (secrets.a55.accessToken) credentials.add("A55 access token", secrets.a55.accessToken);
  if (secrets.a55.clientSecret) credentials.add("A55 client secret", secrets.a55.clientSecret);
  const started = kit;
  return {
    kit: started,
    traffic,
    capture,
    credentials,
    rejections,
    signed: (input) => {
      const event = started.signed(input);
      credentials.add("X-Signature sent", event.headers["x-signature"] ?? "");
      return event;
    },
    stop,
  };
};

/**
 * Case 5 and the process's health: something was logged, no line holds a credential
 * (the service's outbound signatures and tokens included), and no promise was left rejected.
 */
export const assertCleanRun = (run: ReliabilityRun): void => {
  for (const credential of run.traffic.credentialsSent) run.credentials.add("sent upstream", credential);
  // The scan proves something only if it saw the service's logs and would see a leak in them.
  const serviceLines = run.capture.lines.filter((line) => line.includes('"service":"cancellation-service"'));
  expect(serviceLines.length, "no service log line was captured").toBeGreaterThan(0);
  const canary = JSON.stringify({ message: "canary", detail: `key=${run.kit.app.secret};` });
  expect(run.credentials.leaks([canary]).map((leak) => leak.label)).toEqual(["storefront app secret"]);
  const leaks = run.credentials.leaks(run.capture.lines);
  expect(leaks.map((leak) => leak.label)).toEqual([]);
  expect(run.rejections.reasons).toEqual([]);
};

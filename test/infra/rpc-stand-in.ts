import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type BuildInput, type BuildRecord, buildFunction } from "./runtime-build.ts";

/**
 * Answers the two RPC methods `sst.aws.Function` calls back into the CLI for (`SST_SERVER`):
 * `Provider.Aws.Bootstrap` and `Runtime.Build`. Any other method is answered "can't find" (as
 * the CLI would for an unknown one) and recorded, so the checker can fail on it: without an
 * answer SST silently registers no Lambda.
 */
export interface RpcStandIn {
  url: string;
  builds: BuildRecord[];
  unanswered: string[];
  /** Resolves at the first build that failed (SST then leaves its dependents pending). */
  failed: Promise<void>;
  close(): Promise<void>;
}

const BOOTSTRAP = {
  asset: "sst-asset-mock",
  assetEcrRegistryId: "123456789012",
  assetEcrUrl: "123456789012.dkr.ecr.us-east-1.amazonaws.com/sst-asset-mock",
  state: "sst-state-mock",
  appsyncHttp: "mock.appsync-api.us-east-1.amazonaws.com",
  appsyncRealtime: "mock.appsync-realtime-api.us-east-1.amazonaws.com",
};

/** Starts the stand-in on 127.0.0.1 (random port). */
export async function startRpcStandIn(artifactsDir: string): Promise<RpcStandIn> {
  const builds: BuildRecord[] = [];
  const unanswered: string[] = [];
  let signalFailure: () => void = () => {};
  const failed = new Promise<void>((resolve) => {
    signalFailure = resolve;
  });

  async function answer(method: string, params: unknown[]): Promise<unknown> {
    if (method === "Provider.Aws.Bootstrap") return BOOTSTRAP;
    if (method === "Runtime.Build") {
      const record = await buildFunction(params[0] as BuildInput, artifactsDir);
      builds.push(record);
      if (record.errors.length > 0) signalFailure();
      return { handler: record.handler, out: record.out, errors: record.errors, sourcemaps: [] };
    }
    unanswered.push(method);
    throw new Error(`rpc: can't find method ${method}`);
  }

  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      const call = JSON.parse(body) as { method: string; params: unknown[] };
      answer(call.method, call.params)
        .then((result) => ({ result }))
        .catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }))
        .then((reply) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(reply));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    builds,
    unanswered,
    failed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

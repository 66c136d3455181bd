import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bundleProgram, evaluateApp } from "./bundle-program.ts";
import { call, type MockCallArgs, type MockResourceArgs, newResource } from "./mocks.ts";
import { platformRequire, snapshotFile, stageDir } from "./paths.ts";
import { startRpcStandIn } from "./rpc-stand-in.ts";
import type { ResourceRecord, Snapshot } from "./snapshot.ts";

/**
 * Evaluates the SST program for ONE stage under Pulumi mocks and writes a snapshot of the
 * resource graph. One stage per process: Pulumi mocks and SST's `$transform` are global.
 * Usage: node test/infra/evaluate-stage.ts <stage>
 */

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getRetainondelete(): boolean;
}
interface Monitor {
  registerResource(req: RegisterRequest, callback: unknown): unknown;
}
interface PulumiModule {
  runtime: {
    setMocks(
      mocks: { newResource: typeof newResource; call: (args: MockCallArgs) => Record<string, unknown> },
      project: string,
      stack: string,
      preview: boolean,
    ): Promise<void>;
    getMonitor(): Monitor;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
    waitForRPCs(): Promise<void>;
  };
}

const SETTLE_TIMEOUT_MS = 120_000;
const FAILURE_GRACE_MS = 2_000;

/**
 * Waits for Pulumi's outstanding registrations. A failed dependency (e.g. a handler that does
 * not build) leaves its dependents pending forever, so a build failure (after a grace period to
 * collect the others) or a timeout also ends the wait, with the reason recorded.
 */
async function settle(drained: Promise<void>, buildFailed: Promise<void>, errors: string[]): Promise<void> {
  const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
  await Promise.race([
    drained,
    buildFailed.then(() => delay(FAILURE_GRACE_MS)),
    delay(SETTLE_TIMEOUT_MS).then(() => {
      errors.push(`resource registrations still pending after ${SETTLE_TIMEOUT_MS / 1000} s`);
    }),
  ]);
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

async function evaluate(stage: string): Promise<Snapshot> {
  await rm(stageDir(stage), { recursive: true, force: true });
  await mkdir(stageDir(stage), { recursive: true });
  const errors: string[] = [];
  // A failed dependency rejects every output built on it: keep each distinct message once.
  process.on("unhandledRejection", (error) => {
    const message = `unhandled rejection: ${error instanceof Error ? error.message : String(error)}`;
    if (!errors.includes(message)) errors.push(message);
  });

  const app = await evaluateApp(stage);
  const program = await bundleProgram(app);
  const rpc = await startRpcStandIn(path.join(stageDir(stage), "artifacts"));
  process.env.SST_SERVER = rpc.url;

  const registered = new Map<string, ResourceRecord>();
  const keyOf = (type: string, name: string) => `${type}::${name}`;
  const pulumi = platformRequire("@pulumi/pulumi") as PulumiModule;
  await pulumi.runtime.setMocks(
    {
      newResource(args: MockResourceArgs) {
        const result = newResource(args);
        const record = registered.get(keyOf(args.type, args.name));
        if (record) {
          record.id = result.id;
          record.inputs = args.inputs;
          record.state = result.state;
        }
        return result;
      },
      call,
    },
    app.name,
    stage,
    false,
  );
  // The mocks only see type, name and inputs: options (parent, protect, retainOnDelete) are read
  // from the registration request itself.
  const monitor = pulumi.runtime.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const key = keyOf(req.getType(), req.getName());
    if (registered.has(key)) errors.push(`resource registered twice: ${key}`);
    registered.set(key, {
      type: req.getType(),
      name: req.getName(),
      id: "",
      custom: req.getCustom(),
      parent: req.getParent(),
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete(),
      inputs: {},
      state: {},
    });
    return register(req, callback);
  };

  let outputs: Record<string, unknown> = {};
  try {
    outputs = (await pulumi.runtime.runInPulumiStack(async () => {
      const module: { default: unknown } = await import(pathToFileURL(program).href);
      return module.default;
    })) as Record<string, unknown>;
    await settle(pulumi.runtime.waitForRPCs(), rpc.failed, errors);
  } catch (error) {
    errors.push(`program failed: ${describeError(error)}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  await rpc.close();
  const buildErrors = rpc.builds.flatMap((b) => b.errors.map((e) => `Runtime.Build ${b.functionID}: ${e}`));
  const unanswered = rpc.unanswered.map((method) => `RPC method not answered by the stand-in: ${method}`);

  return {
    app,
    resources: [...registered.values()],
    outputs,
    builds: rpc.builds,
    unansweredRpc: rpc.unanswered,
    // The cause first: the rest is usually its consequences.
    errors: [...buildErrors, ...unanswered, ...errors],
  };
}

const stage = process.argv[2];
if (!stage) {
  console.error("usage: evaluate-stage.ts <stage>");
  process.exit(2);
}
const snapshot = await evaluate(stage);
await writeFile(snapshotFile(stage), JSON.stringify(snapshot, null, 2));
console.log(
  `evaluated stage ${stage}: ${snapshot.resources.length} resources, ${snapshot.errors.length} errors`,
);
// Pulumi keeps handles open after a mocked run; the snapshot is written, so leave now.
// (Pulumi's leak detector may still turn a 0 into 1 when registrations were left pending.)
process.exit(snapshot.errors.length > 0 ? 1 : 0);

import { FUNCTION_LIST } from "../functions/manifest/function-manifest.ts";
import type { FunctionDefinition } from "../functions/manifest/manifest-types.ts";
import { createApi } from "./api.ts";
import { functionEnvironment } from "./environment.ts";
import { type DeployedResources, roleStatements } from "./permissions.ts";
import type { TriggerQueue } from "./queues.ts";
import { scheduledFunction } from "./scheduled-function.ts";
import { lambdaDefaults } from "./settings.ts";
import { connectStream } from "./stream-mapping.ts";
import { connectWorkQueue } from "./work-queue.ts";

/**
 * Every function of the function manifest (functions/manifest/function-manifest.ts), deployed
 * as its entry says: handler, memory, timeout, the environment and role that follow from it
 * (environment.ts, permissions.ts), and its trigger (api.ts, work-queue.ts,
 * scheduled-function.ts, stream-mapping.ts). Nothing here names a particular function.
 */
export function createFunctions(resources: DeployedResources & { triggerQueues: readonly TriggerQueue[] }) {
  const handlers = new Map<string, sst.aws.Function>();
  let http: (ReturnType<typeof createApi> & { owner: string }) | undefined;

  for (const fn of FUNCTION_LIST) {
    const owned = (role: TriggerQueue["role"]): sst.aws.Queue => {
      const found = resources.triggerQueues.find((q) => q.owner === fn.name && q.role === role);
      if (!found) throw new Error(`${fn.name}: its ${fn.trigger.kind} trigger has no ${role} queue`);
      return found.queue;
    };
    const args = functionArgs(fn, resources);
    const { trigger } = fn;
    if (trigger.kind === "schedule") {
      const { handler } = scheduledFunction(fn.name, { trigger, function: args, dlq: owned("undelivered") });
      handlers.set(fn.name, handler);
      continue;
    }
    const handler = new sst.aws.Function(fn.name, { ...lambdaDefaults(), ...args });
    handlers.set(fn.name, handler);
    if (trigger.kind === "http") {
      if (http) throw new Error(`${fn.name}: the HTTP API already goes to ${http.owner}`);
      http = { ...createApi(handler), owner: fn.name };
    } else if (trigger.kind === "work-queue") {
      connectWorkQueue({ ...fn, trigger }, handler, {
        bus: resources.bus,
        work: owned("work"),
        undelivered: owned("undelivered"),
      });
    } else {
      connectStream({ ...fn, trigger }, handler, { storage: resources.storage, failures: owned("failures") });
    }
  }
  if (!http)
    throw new Error("No function of the manifest has the http trigger: the HTTP API would route nowhere");

  /** The deployed function of a manifest entry. */
  const handlerOf = (name: string): sst.aws.Function => {
    const handler = handlers.get(name);
    if (!handler) throw new Error(`The manifest has no function ${name}`);
    return handler;
  };
  return { handlerOf, api: http.api };
}

function functionArgs(fn: FunctionDefinition, resources: DeployedResources) {
  return {
    handler: fn.handler,
    description: fn.description,
    memory: `${fn.memoryMb} MB`,
    timeout: `${fn.timeoutSeconds} seconds`,
    environment: functionEnvironment(fn, resources),
    permissions: roleStatements(fn, resources),
  } satisfies Omit<sst.aws.FunctionArgs, "retries" | "transform">;
}

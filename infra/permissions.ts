import { roleOf } from "../functions/manifest/function-resources.ts";
import type { FunctionDefinition, ResourceRef } from "../functions/manifest/manifest-types.ts";
import type { Secrets } from "./secrets.ts";
import type { Storage } from "./storage.ts";

/**
 * A function's role, from its manifest entry alone (functions/manifest): one IAM statement
 * per permission its code needs and per thing its trigger's mapping does as it, each on the
 * one resource it names. Tables and secrets are never `link`ed (a table link grants
 * `dynamodb:*`); the role tests run every integration test under exactly these statements.
 */
type Statement = { actions: string[]; resources: $util.Input<string>[] };

/** The deployed resources a manifest entry's references resolve to. */
export interface DeployedResources {
  storage: Storage;
  secrets: Secrets;
  bus: sst.aws.Bus;
  /** Every queue a trigger owns, by logical name (queues.ts `createTriggerQueues`). */
  queues: ReadonlyMap<string, sst.aws.Queue>;
}

/** The queue a reference names; a name no trigger created stops the deploy. */
export function queueOf(resources: DeployedResources, name: string): sst.aws.Queue {
  const queue = resources.queues.get(name);
  if (!queue) throw new Error(`The manifest names queue ${name}, which no function's trigger creates`);
  return queue;
}

/** The ARN IAM authorises a reference against. */
export function arnOf(ref: ResourceRef, resources: DeployedResources): $util.Input<string> {
  const { storage, secrets, bus } = resources;
  switch (ref.kind) {
    case "table":
      return storage[ref.table].arn;
    case "index":
      return $interpolate`${storage[ref.table].arn}/index/${ref.index}`;
    case "stream":
      return storage[ref.table].nodes.table.streamArn;
    case "queue":
      return queueOf(resources, ref.queue).arn;
    case "bus":
      return bus.arn;
    case "secret":
      return secrets[ref.secret].arn;
  }
}

/** The IAM statements of a function's role. */
export function roleStatements(fn: FunctionDefinition, resources: DeployedResources): Statement[] {
  return roleOf(fn).map((permission) => ({
    actions: [...permission.actions],
    resources: [arnOf(permission.resource, resources)],
  }));
}

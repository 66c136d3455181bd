/**
 * IAM for tests on DynamoDB Local and the local queues and bus, which check no permission:
 * a middleware on an AWS SDK client that refuses, as AWS does (`AccessDeniedException`), any
 * call the role of the function making it does not allow. The role is the function
 * manifest's (`roleOf`: the very statements infra/ turns into IAM), so a function whose code
 * starts a call its manifest entry does not grant fails its tests here, not in production.
 *
 * Which function is calling: the one whose handler invocation the call happens in. The
 * handler kit runs each exported handler inside `runAs(name, …)` (an AsyncLocalStorage, so
 * invocations of several functions may overlap in one process); a client may also be bound to
 * one function for good. A call outside any invocation is the test's own (creating tables,
 * seeding records, reading results) and is not the function's to be judged.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { DynamoDBServiceException } from "@aws-sdk/client-dynamodb";
import { EventBridgeServiceException } from "@aws-sdk/client-eventbridge";
import { SecretsManagerServiceException } from "@aws-sdk/client-secrets-manager";
import { SQSServiceException } from "@aws-sdk/client-sqs";
import { FUNCTIONS, type FunctionName } from "#manifest/function-manifest.ts";
import { allows, roleOf } from "#manifest/function-resources.ts";
import type { Permission } from "#manifest/manifest-types.ts";
import { type GuardedService, type NeededGrant, neededGrants, type PhysicalNames } from "./iam-actions.ts";

const running = new AsyncLocalStorage<FunctionName>();

/** Runs `work` as one invocation of `name`: every guarded call it makes is judged by that function's role. */
export const runAs = <T>(name: FunctionName, work: () => T): T => running.run(name, work);

/** A handler that always runs as `name`. */
export const asFunction =
  <E, C, R>(name: FunctionName, handler: (event: E, context: C) => Promise<R>) =>
  (event: E, context: C): Promise<R> =>
    runAs(name, () => handler(event, context));

/** The function whose invocation is running here, if any. */
export const runningFunction = (): FunctionName | undefined => running.getStore();

/** A grant a call needed, refused or allowed, and whose call it was. */
export interface Refusal {
  functionName: FunctionName;
  grant: NeededGrant;
}

const refusals: Refusal[] = [];
/** Distinct grants used, by function, action and resource: bounded however many calls a run makes. */
const allowed = new Map<string, Refusal>();

/** Every refusal since the process started (or the last `takeRefusals`): a test may assert there was none. */
export const takeRefusals = (): Refusal[] => refusals.splice(0);

/** Every grant a call used since the process started (or the last `takeUsedGrants`): which permissions the paths needed. */
export const takeUsedGrants = (): Refusal[] => {
  const used = [...allowed.values()];
  allowed.clear();
  return used;
};

const EXCEPTIONS = {
  dynamodb: DynamoDBServiceException,
  sqs: SQSServiceException,
  events: EventBridgeServiceException,
  secretsmanager: SecretsManagerServiceException,
} as const;

/** The error AWS answers a call no policy allows, with its message's shape. */
export const accessDenied = (service: GuardedService, functionName: FunctionName, grant: NeededGrant) =>
  new EXCEPTIONS[service]({
    name: "AccessDeniedException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
    message:
      `User: arn:aws:sts::000000000000:assumed-role/${functionName}Role/${functionName} is not authorized to perform: ` +
      `${grant.action} on resource: ${grant.described} because no identity-based policy allows the ${grant.action} action`,
  });

export interface GuardOptions {
  names: PhysicalNames;
  /** Judge every call as this function's, whatever runs it (a client only one function uses). */
  as?: FunctionName;
  /** The role to judge by; default the manifest's (`roleOf`). Tests of the guard itself give another. */
  roleOf?: (name: FunctionName) => readonly Permission[];
}

interface MiddlewareHost {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<unknown>,
      options: { step: "initialize"; priority: "high"; name: string },
    ): void;
    remove(name: string): boolean;
  };
}

let guards = 0;

/**
 * Puts the guard on a client. It runs first (the `initialize` step, before retries), so a
 * refused call is never sent, as AWS never carries it out. Returns a function that removes it.
 */
export const guardClient = (client: MiddlewareHost, service: GuardedService, options: GuardOptions) => {
  const name = `roleGuard${++guards}`;
  const role = options.roleOf ?? ((fn: FunctionName) => roleOf(FUNCTIONS[fn]));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const functionName = options.as ?? runningFunction();
      if (functionName !== undefined) {
        const grants = neededGrants(
          service,
          context.commandName ?? "",
          args.input as Record<string, unknown>,
          options.names,
        );
        const permissions = role(functionName);
        for (const grant of grants) {
          if (grant.resource !== undefined && allows(permissions, grant.action, grant.resource)) {
            allowed.set(`${functionName} ${grant.action} ${JSON.stringify(grant.resource)}`, {
              functionName,
              grant,
            });
            continue;
          }
          refusals.push({ functionName, grant });
          throw accessDenied(service, functionName, grant);
        }
      }
      return next(args);
    },
    { step: "initialize", priority: "high", name },
  );
  return () => {
    client.middlewareStack.remove(name);
  };
};

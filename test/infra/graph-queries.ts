import type { ResourceRecord, Snapshot } from "./snapshot.ts";

/** Finders and IAM readers over an evaluated graph; assertions live in graph.check.ts. */

export const TYPES = {
  function: "aws:lambda/function:Function",
  role: "aws:iam/role:Role",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  table: "aws:dynamodb/table:Table",
  secret: "aws:secretsmanager/secret:Secret",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  bus: "aws:cloudwatch/eventBus:EventBus",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  schedule: "aws:scheduler/schedule:Schedule",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  eventSourceMapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
  permission: "aws:lambda/permission:Permission",
  api: "aws:apigatewayv2/api:Api",
  route: "aws:apigatewayv2/route:Route",
  integration: "aws:apigatewayv2/integration:Integration",
} as const;

/** Every resource of one type. */
export function allOf(snapshot: Snapshot, type: string): ResourceRecord[] {
  return snapshot.resources.filter((r) => r.type === type);
}

/** The one resource with this type and logical name; throws with the candidates otherwise. */
export function one(snapshot: Snapshot, type: string, name: string): ResourceRecord {
  const found = allOf(snapshot, type).filter((r) => r.name === name);
  if (found.length !== 1) {
    const names = allOf(snapshot, type).map((r) => r.name);
    throw new Error(`expected one ${type} named ${name}, found ${found.length} (have: ${names.join(", ")})`);
  }
  return found[0] as ResourceRecord;
}

/** A string output (arn, name, url...) of a resource. */
export function str(resource: ResourceRecord, key: string): string {
  const value = resource.state[key];
  if (typeof value !== "string") throw new Error(`${resource.name}.${key} is not a string: ${String(value)}`);
  return value;
}

/** A statement of an IAM policy document, with Action and Resource normalised to lists. */
export interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Principal?: unknown;
  Condition?: unknown;
}

const toList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

/** Parses a policy document given as JSON text or as an object. */
export function statementsOf(policy: unknown): Statement[] {
  const document = (typeof policy === "string" ? JSON.parse(policy) : policy) as { Statement?: unknown };
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return (statements as Record<string, unknown>[]).map((s) => ({
    Effect: String(s.Effect),
    Action: toList(s.Action),
    Resource: toList(s.Resource),
    Principal: s.Principal,
    Condition: s.Condition,
  }));
}

/** Every statement of a role's inline policies. */
export function inlineStatements(role: ResourceRecord): Statement[] {
  const policies = (role.inputs.inlinePolicies ?? []) as { policy: unknown }[];
  return policies.flatMap((p) => statementsOf(p.policy));
}

/** A role's inline grants as "action on resource" pairs: the unit least privilege is judged in. */
export function grantsOf(role: ResourceRecord): string[] {
  return inlineStatements(role)
    .flatMap((s) =>
      s.Action.flatMap((action) => s.Resource.map((resource) => `${s.Effect} ${action} on ${resource}`)),
    )
    .sort();
}

/** The Lambda function's environment variables. */
export function environmentOf(fn: ResourceRecord): Record<string, string> {
  const environment = fn.inputs.environment as { variables?: Record<string, string> } | undefined;
  return environment?.variables ?? {};
}

/**
 * Pulumi mocks that give each resource the outputs SST and the assertions read (ARNs, names,
 * URLs), and answer the provider functions SST invokes. Values are fake but well-formed.
 */
export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

/** The arguments Pulumi hands `newResource` (see @pulumi/pulumi runtime/mocks). */
export interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  custom?: boolean;
  id?: string;
}

/** The arguments Pulumi hands `call` for a provider function. */
export interface MockCallArgs {
  token: string;
  inputs: Record<string, unknown>;
}

type State = Record<string, unknown>;

function physicalName(args: MockResourceArgs): string {
  const name = args.inputs.name;
  return typeof name === "string" && name.length > 0 ? name : `${args.name}-mock`;
}

function outputsFor(args: MockResourceArgs, id: string): State {
  const name = physicalName(args);
  const service = args.type.split(":")[1]?.split("/")[0] ?? "unknown";
  const arn = (resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (args.type) {
    case "aws:lambda/function:Function": {
      const fnArn = arn(`function:${name}`);
      return {
        name,
        arn: fnArn,
        qualifiedArn: `${fnArn}:$LATEST`,
        version: "$LATEST",
        invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
      };
    }
    case "aws:sqs/queue:Queue":
      return { name, arn: arn(name), url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}` };
    case "aws:dynamodb/table:Table":
      return { name, arn: arn(`table/${name}`), streamArn: arn(`table/${name}/stream/mock`) };
    case "aws:cloudwatch/eventBus:EventBus":
      return { name, arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}` };
    case "aws:cloudwatch/eventRule:EventRule":
      return {
        name,
        arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${String(args.inputs.eventBusName)}/${name}`,
      };
    case "aws:secretsmanager/secret:Secret":
      return { name, arn: arn(`secret:${name}-AbCdEf`) };
    case "aws:iam/role:Role":
      return { name, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { name, arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}` };
    case "aws:scheduler/schedule:Schedule":
      return { name, arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${name}` };
    case "aws:apigatewayv2/api:Api":
      return {
        name,
        apiEndpoint: `https://${id}.execute-api.${REGION}.amazonaws.com`,
        executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}`,
        arn: `arn:aws:apigateway:${REGION}::/apis/${id}`,
      };
    case "aws:apigatewayv2/stage:Stage":
      return { invokeUrl: `https://mock.execute-api.${REGION}.amazonaws.com/` };
    case "random:index/randomBytes:RandomBytes":
      return { base64: "bW9jay1lbmNyeXB0aW9uLWtleS1tb2NrLWtleS0xMjM0NTY=", hex: "6d6f636b" };
    default:
      return { name, arn: arn(name) };
  }
}

/** `newResource`: echo the inputs, add the outputs the program reads. */
export function newResource(args: MockResourceArgs): { id: string; state: State } {
  const id = args.id || `${args.name}-id`;
  return { id, state: { ...args.inputs, ...outputsFor(args, id) } };
}

/** Turns `getPolicyDocument` statements (Pulumi shape) into IAM JSON. */
function policyJson(statements: unknown): string {
  const list = Array.isArray(statements) ? (statements as Record<string, unknown>[]) : [];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: list.map((s) => {
      const principals = Array.isArray(s.principals)
        ? (s.principals as { type: string; identifiers: string[] }[])
        : [];
      return {
        Effect: s.effect ?? "Allow",
        Action: s.actions,
        Resource: s.resources,
        ...(principals.length > 0
          ? { Principal: Object.fromEntries(principals.map((p) => [p.type, p.identifiers])) }
          : {}),
        ...(s.conditions ? { Condition: s.conditions } : {}),
      };
    }),
  });
}

/** `call`: the provider functions SST invokes while building the graph. */
export function call(args: MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getRegion:getRegion":
      return { id: REGION, name: REGION, region: REGION, description: "mock" };
    case "aws:index/getPartition:getPartition":
      return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { id: ACCOUNT, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/mock`, userId: "MOCK" };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // SST reads `statements` back (to decide whether a role gets an inline policy) and `json`.
      return { ...args.inputs, json: policyJson(args.inputs.statements), statements: args.inputs.statements };
    default:
      return args.inputs;
  }
}

/**
 * The clients `cancelctl dlq` redrives with (redrive.ts): SQS, Lambda and DynamoDB, on the
 * local stack's endpoints from the queue catalogue, or AWS's. Made once per command line
 * (dlq-command-line.ts).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { QueueCatalogue } from "./queue-catalogue.ts";
import type { RedriveClients } from "./redrive.ts";

/** Clients for the catalogue's endpoints: the local stack's, or AWS's (region and credentials from the environment). */
export const createRedriveClients = (
  catalogue: QueueCatalogue,
  env: Record<string, string | undefined>,
): RedriveClients => {
  const local = catalogue.sqsEndpoint !== undefined;
  const region =
    catalogue.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? "us-east-1" : undefined);
  // A local stack checks no signature: any credentials do, and none may be configured.
  const credentials =
    local && !env.AWS_ACCESS_KEY_ID ? { accessKeyId: "local", secretAccessKey: "local" } : undefined;
  const common = { ...(region && { region }), ...(credentials && { credentials }), maxAttempts: 3 };
  return {
    sqs: new SQSClient({ ...common, ...(catalogue.sqsEndpoint && { endpoint: catalogue.sqsEndpoint }) }),
    lambda: new LambdaClient({
      ...common,
      ...(catalogue.lambdaEndpoint && { endpoint: catalogue.lambdaEndpoint }),
    }),
    dynamoDb: new DynamoDBClient({
      ...common,
      ...(catalogue.dynamoDbEndpoint && { endpoint: catalogue.dynamoDbEndpoint }),
    }),
  };
};

/**
 * Vitest globalSetup: one DynamoDB Local per test run, shared by every test file (each
 * file makes its own uniquely named tables). Tests read the endpoint with
 * `inject("dynamoEndpoint")`; teardown stops the JVM.
 */
import type { TestProject } from "vitest/node";
import { startDynamoLocal } from "./dynamo-local.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the run's shared DynamoDB Local. */
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const local = await startDynamoLocal();
  project.provide("dynamoEndpoint", local.endpoint);
  return () => local.stop();
}

/**
 * Vitest globalSetup: one DynamoDB Local per test run, shared by every test file (each
 * file makes its own uniquely named tables). Tests read the endpoint with
 * `inject("dynamoEndpoint")`; teardown stops the JVM.
 *
 * Several projects list this file (vitest.config.ts) and vitest runs it once per project,
 * each in its own module graph; the JVM is kept on `globalThis` of the one vitest process so
 * they share it, and the last teardown stops it.
 */
import type { TestProject } from "vitest/node";
import { type DynamoLocal, startDynamoLocal } from "./dynamo-local.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the run's shared DynamoDB Local. */
    dynamoEndpoint: string;
  }
}

interface SharedDynamoLocal {
  local: Promise<DynamoLocal>;
  projects: number;
}

const SHARED = Symbol.for("cancellation-service/test/dynamo-local");
const processWide = globalThis as { [SHARED]?: SharedDynamoLocal };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = processWide[SHARED];
  if (shared === undefined) {
    shared = { local: startDynamoLocal(), projects: 0 };
    processWide[SHARED] = shared;
  }
  const mine = shared;
  let local: DynamoLocal;
  try {
    local = await mine.local;
  } catch (error) {
    if (processWide[SHARED] === mine) delete processWide[SHARED];
    throw error;
  }
  mine.projects += 1;
  project.provide("dynamoEndpoint", local.endpoint);
  return async () => {
    mine.projects -= 1;
    if (mine.projects > 0) return;
    if (processWide[SHARED] === mine) delete processWide[SHARED];
    await local.stop();
  };
}

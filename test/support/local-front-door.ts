/**
 * The front door of `npm start` for tests of the local stack: the functions declared in
 * local/stack/local-functions.ts (their names, timeouts, channels), run in this process by test handlers,
 * so a test sees exactly what the front door hands a function and what it answers.
 */
import type { Context } from "aws-lambda";
import { type RunningFrontDoor, startFrontDoor } from "#local/stack/front-door.ts";
import { inProcessInvoker } from "#local/stack/lambda/in-process-invoker.ts";
import type { LocalFunctionSpec } from "#local/stack/lambda/local-function.ts";
import { type BusRule, LocalEventBus } from "#local/stack/local-event-bus.ts";
import { localFunctions } from "#local/stack/local-functions.ts";
import { ScheduleRunner } from "#local/stack/schedule-runner.ts";
import { LOCAL_EVENT_BUS_NAME } from "#local/stack/service-env.ts";
import { readLocalSettings } from "#local/stack/settings.ts";
import { LocalSqs } from "#local/stack/sqs/local-sqs.ts";

type Handler = (event: never, context: Context) => Promise<unknown>;

/** The declared function `name`, as `npm start` runs it with default settings. */
export const declaredFunction = (name: string): LocalFunctionSpec => {
  const spec = localFunctions(readLocalSettings({}, { inMemory: true })).find((fn) => fn.name === name);
  if (!spec) throw new Error(`local/stack/local-functions.ts declares no function "${name}"`);
  return spec;
};

export interface TestFrontDoor extends RunningFrontDoor {
  bus: LocalEventBus;
  sqs: LocalSqs;
}

export const startTestFrontDoor = async (
  options: { http?: Handler; sweep?: Handler; rules?: BusRule[]; sqs?: LocalSqs } = {},
): Promise<TestFrontDoor> => {
  const bus = new LocalEventBus({ rules: options.rules ?? [], busNames: [LOCAL_EVENT_BUS_NAME] });
  const sqs = options.sqs ?? new LocalSqs({ endpoint: "http://127.0.0.1:9/__aws/sqs" });
  const door = await startFrontDoor(0, {
    http: inProcessInvoker(declaredFunction("http-api"), options.http ?? (async () => ({ statusCode: 404 }))),
    bus,
    sqs,
    schedules: {
      "/sweep": new ScheduleRunner(
        inProcessInvoker(declaredFunction("expiry-sweep"), options.sweep ?? (async () => ({}))),
      ),
    },
    log: () => {},
  });
  return { ...door, bus, sqs };
};

import { FUNCTION_LIST } from "../functions/manifest/function-manifest.ts";
import { type AlarmSources, createAlarms } from "./alarms.ts";
import { createBus } from "./bus.ts";
import { createDashboard } from "./dashboard.ts";
import { deadLetterOutputs } from "./dead-letter-outputs.ts";
import { createFunctions } from "./functions.ts";
import { createTriggerQueues } from "./queues.ts";
import { createSecrets, secretArnOutputs } from "./secrets.ts";
import { createStorage } from "./storage.ts";

/**
 * Builds every resource of the service and returns the stack outputs. Called from
 * `sst.config.ts` inside `run()`, where the SST globals exist. The functions, their triggers'
 * queues, their alarms and their dead-letter outputs all follow from the function manifest
 * (functions/manifest/function-manifest.ts).
 */
export function createInfrastructure() {
  const storage = createStorage();
  const secrets = createSecrets();
  const bus = createBus();
  const triggerQueues = createTriggerQueues();
  const queues = new Map(triggerQueues.map((q) => [q.name, q.queue]));
  const { handlerOf, api } = createFunctions({ storage, secrets, bus, queues, triggerQueues });

  // Every function and queue of the stack, watched: `npm run check:infra` fails for one left out.
  const monitored: AlarmSources = {
    functions: FUNCTION_LIST.map((fn) => ({
      name: fn.name,
      fn: handlerOf(fn.name),
      ...(fn.trigger.kind === "schedule" ? { schedule: fn.trigger.schedule } : {}),
      ...(fn.trigger.kind === "dynamodb-stream" ? { readsStream: true } : {}),
    })),
    queues: triggerQueues.map((q) => ({
      name: q.name,
      queue: q.queue,
      role: q.role === "work" ? ("work" as const) : ("dead-letter" as const),
    })),
    api,
  };
  const alarms = createAlarms(monitored);
  const { dashboard } = createDashboard(monitored, alarms);

  // What `cancelctl dlq` reads (from .sst/outputs.json).
  const deadLetterQueues = deadLetterOutputs(triggerQueues, { handlerOf, storage });

  const urlOf = (name: string) => {
    const queue = queues.get(name);
    if (!queue) throw new Error(`No trigger owns a queue named ${name}`);
    return queue.url;
  };

  return {
    apiUrl: api.url,
    eventBusName: bus.name,
    idempotencyTable: storage.idempotency.name,
    auditTable: storage.audit.name,
    ...secretArnOutputs(secrets),
    cancelRequestedQueueUrl: urlOf("CancelRequestedQueue"),
    cancelRequestedDlqUrl: urlOf("CancelRequestedDlq"),
    cancelRequestedFailuresUrl: urlOf("CancelRequestedFailures"),
    expirySweepDlqUrl: urlOf("ExpirySweepDlq"),
    continuationDlqUrl: urlOf("ContinuationDlq"),
    deadLetterQueues,
    alarmTopicArn: alarms.topic.arn,
    dashboardName: dashboard.dashboardName,
    outboxRelayFailuresUrl: urlOf("OutboxRelayFailures"),
  };
}

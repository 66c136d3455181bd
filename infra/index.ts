import { type AlarmSources, createAlarms } from "./alarms.ts";
import { createApi } from "./api.ts";
import { createBus } from "./bus.ts";
import { CONTINUATION_SCHEDULE, createContinuation } from "./continuation.ts";
import { createDashboard } from "./dashboard.ts";
import type { DeadLetterQueueOutput } from "./dead-letter-outputs.ts";
import { createOutbox } from "./outbox.ts";
import { createSchedule, SWEEP_SCHEDULE } from "./schedule.ts";
import { createSecrets, secretArnOutputs } from "./secrets.ts";
import { createStorage } from "./storage.ts";

/**
 * Builds every resource of the service and returns the stack outputs. Called from
 * `sst.config.ts` inside `run()`, where the SST globals exist.
 */
export function createInfrastructure() {
  const storage = createStorage();
  const secrets = createSecrets();
  const bus = createBus({ storage, secrets });
  const schedule = createSchedule({ storage, secrets, bus });
  const continuation = createContinuation({ storage, secrets, bus });
  const http = createApi({ storage, secrets, bus });
  const outbox = createOutbox({ storage, bus });

  // Every function and queue of the stack, watched: `npm run check:infra` fails for one left out.
  const monitored: AlarmSources = {
    functions: [
      { name: "HttpApi", fn: http.handler },
      { name: "CancelRequested", fn: bus.handler },
      { name: "ExpirySweep", fn: schedule.handler, schedule: SWEEP_SCHEDULE },
      { name: "Continuation", fn: continuation.handler, schedule: CONTINUATION_SCHEDULE },
      { name: "OutboxRelay", fn: outbox.handler, readsStream: true },
    ],
    queues: [
      { name: "CancelRequestedQueue", queue: bus.queue, role: "work" },
      { name: "CancelRequestedDlq", queue: bus.deliveryDlq, role: "dead-letter" },
      { name: "CancelRequestedFailures", queue: bus.failures, role: "dead-letter" },
      { name: "ExpirySweepDlq", queue: schedule.dlq, role: "dead-letter" },
      { name: "ContinuationDlq", queue: continuation.dlq, role: "dead-letter" },
      { name: "OutboxRelayFailures", queue: outbox.failures, role: "dead-letter" },
    ],
    api: http.api,
  };
  const alarms = createAlarms(monitored);
  const { dashboard } = createDashboard(monitored, alarms);

  // What `cancelctl dlq` reads (from .sst/outputs.json): each dead-letter queue, what its
  // messages hold, and the normal path a redriven message goes back through.
  const deadLetterQueues: DeadLetterQueueOutput[] = [
    {
      name: "CancelRequestedDlq",
      url: bus.deliveryDlq.url,
      holds: "bus-event",
      // Back to the work queue, as the rule would have delivered it.
      redrive: { type: "queue", queueUrl: bus.queue.url },
    },
    {
      name: "CancelRequestedFailures",
      url: bus.failures.url,
      holds: "bus-event",
      redrive: { type: "queue", queueUrl: bus.queue.url },
    },
    {
      name: "ExpirySweepDlq",
      url: schedule.dlq.url,
      holds: "schedule-input",
      redrive: { type: "function", functionName: schedule.handler.name },
    },
    {
      name: "ContinuationDlq",
      url: continuation.dlq.url,
      holds: "schedule-input",
      redrive: { type: "function", functionName: continuation.handler.name },
    },
    {
      name: "OutboxRelayFailures",
      url: outbox.failures.url,
      holds: "stream-batch",
      redrive: { type: "stream-batch", functionName: outbox.handler.name, auditTable: storage.audit.name },
    },
  ];

  return {
    apiUrl: http.api.url,
    eventBusName: bus.bus.name,
    idempotencyTable: storage.idempotency.name,
    auditTable: storage.audit.name,
    ...secretArnOutputs(secrets),
    cancelRequestedQueueUrl: bus.queue.url,
    cancelRequestedDlqUrl: bus.deliveryDlq.url,
    cancelRequestedFailuresUrl: bus.failures.url,
    expirySweepDlqUrl: schedule.dlq.url,
    continuationDlqUrl: continuation.dlq.url,
    deadLetterQueues,
    alarmTopicArn: alarms.topic.arn,
    dashboardName: dashboard.dashboardName,
    outboxRelayFailuresUrl: outbox.failures.url,
  };
}

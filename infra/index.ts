import { createApi } from "./api.ts";
import { createBus } from "./bus.ts";
import { createSchedule } from "./schedule.ts";
import { createSecrets } from "./secrets.ts";
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
  const http = createApi({ storage, secrets, bus });

  return {
    apiUrl: http.api.url,
    eventBusName: bus.bus.name,
    idempotencyTable: storage.idempotency.name,
    auditTable: storage.audit.name,
    procureCoreSecretArn: secrets.procureCore.secret.arn,
    a55SecretArn: secrets.a55.secret.arn,
    clientsSecretArn: secrets.clients.secret.arn,
    cancelRequestedQueueUrl: bus.queue.url,
    cancelRequestedDlqUrl: bus.deliveryDlq.url,
    cancelRequestedFailuresUrl: bus.failures.url,
    expirySweepDlqUrl: schedule.dlq.url,
  };
}

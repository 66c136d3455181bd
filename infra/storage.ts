import { auditTable, idempotencyTable } from "../functions/adapters/dynamo/table-definitions.ts";
import { isProduction } from "./settings.ts";

/**
 * Idempotency keys (and cancellations) plus the append-only audit log. Keys, index and TTL
 * come from the same definitions `npm start` and the integration tests create DynamoDB Local
 * tables from, so the deployed tables cannot drift from the ones the adapters are tested on.
 */
export function createStorage() {
  const deletionProtection = isProduction();

  const idempotency = new sst.aws.Dynamo("IdempotencyTable", { ...idempotencyTable, deletionProtection });
  const audit = new sst.aws.Dynamo("AuditTable", { ...auditTable, deletionProtection });

  // By the manifest's table names (functions/manifest): permissions.ts and environment.ts resolve them here.
  return { idempotency, audit };
}

export type Storage = ReturnType<typeof createStorage>;

import {
  AUDIT_BY_DAY_INDEX,
  auditTable,
  CANCELLATIONS_DUE_INDEX,
  idempotencyTable,
} from "../functions/adapters/dynamo/table-definitions.ts";
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

  return {
    idempotency,
    audit,
    /** The ARN a `Query` on the by-day index is authorised against. */
    auditByDayIndexArn: $interpolate`${audit.arn}/index/${AUDIT_BY_DAY_INDEX}`,
    /** The ARN a `Query` of open cancellations (index byNextCheck) is authorised against. */
    cancellationsDueIndexArn: $interpolate`${idempotency.arn}/index/${CANCELLATIONS_DUE_INDEX}`,
  };
}

export type Storage = ReturnType<typeof createStorage>;

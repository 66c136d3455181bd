import type { Storage } from "./storage.ts";

/**
 * Least-privilege statements. Tables are never `link`ed (a link grants `dynamodb:*`):
 * each function lists the exact actions its adapters call.
 */
type Statement = { actions: string[]; resources: $util.Input<string>[] };

/** The DynamoDB actions one function may call, per table. */
export interface TableAccess {
  idempotency: readonly string[];
  audit: readonly string[];
  /** `Query` on the idempotency table's index of open cancellations (byNextCheck). */
  openCancellationsIndex?: boolean;
}

/** Turns a per-table action list into IAM statements scoped to those tables (and their index, for Query). */
export function tablePermissions(storage: Storage, access: TableAccess): Statement[] {
  const statements: Statement[] = [];
  if (access.idempotency.length > 0) {
    statements.push({
      actions: access.idempotency.map((action) => `dynamodb:${action}`),
      resources: [storage.idempotency.arn],
    });
  }
  if (access.audit.length > 0) {
    statements.push({
      actions: access.audit.map((action) => `dynamodb:${action}`),
      resources: [storage.audit.arn],
    });
  }
  if (access.openCancellationsIndex) {
    statements.push({ actions: ["dynamodb:Query"], resources: [storage.cancellationsDueIndexArn] });
  }
  if (access.audit.includes("Query")) {
    statements.push({ actions: ["dynamodb:Query"], resources: [storage.auditByDayIndexArn] });
  }
  return statements;
}

/** Publishing outcomes back to the service's own bus, and nothing else on it. */
export function publishPermission(busArn: $util.Input<string>): Statement {
  return { actions: ["events:PutEvents"], resources: [busArn] };
}

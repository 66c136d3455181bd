import type { BulkJobAuditRecord } from "./bulk-ports.ts";
import type { CancelOutcome } from "./outcome.ts";
import type {
  AnnouncedEvent,
  AuditRecord,
  BulkFinishedEvent,
  OutcomeDetailType,
  OutcomeEvent,
} from "./ports.ts";

const DETAIL_TYPES: Record<CancelOutcome["type"], OutcomeDetailType> = {
  CANCELLED: "Cancellation Succeeded",
  ALREADY_CANCELLED: "Cancellation Succeeded",
  PENDING: "Cancellation Pending",
  NOT_CANCELLABLE: "Cancellation Rejected",
  NOT_FOUND: "Cancellation Rejected",
  FORBIDDEN: "Cancellation Rejected",
  REFUND_REQUIRED: "Refund Required",
  FAILED: "Cancellation Failed",
  REJECTED: "Cancellation Rejected",
};

/** The detail-type announcing an outcome. */
export const detailTypeOf = (outcome: CancelOutcome): OutcomeDetailType => DETAIL_TYPES[outcome.type];

/**
 * The event other services receive for an announcing audit record (one whose `event` is
 * set), or undefined for a record that announces nothing. Pure: the outbox relay calls it
 * on the record it reads from the audit table's stream.
 */
export function outcomeEventOf(record: AuditRecord): OutcomeEvent | undefined;
export function outcomeEventOf(record: AuditRecord | BulkJobAuditRecord): AnnouncedEvent | undefined;
export function outcomeEventOf(record: AuditRecord | BulkJobAuditRecord): AnnouncedEvent | undefined {
  if (record.event === undefined) return undefined;
  if ("kind" in record) return bulkFinishedEventOf(record);
  return {
    detailType: record.event,
    detail: {
      eventId: record.id,
      target: record.target,
      outcome: record.outcome,
      trigger: record.trigger,
      ...(record.state !== undefined && { state: record.state }),
      ...(record.orderId !== undefined && { orderId: record.orderId }),
      ...(record.reason !== undefined && { reason: record.reason }),
      ...(record.detail !== undefined && { detail: record.detail }),
      ...(record.retryable !== undefined && { retryable: record.retryable }),
      ...(record.idempotencyKey !== undefined && { idempotencyKey: record.idempotencyKey }),
      correlationId: record.correlationId,
      at: record.at,
    },
  };
}

const bulkFinishedEventOf = (record: BulkJobAuditRecord): BulkFinishedEvent | undefined =>
  record.to === "DONE" || record.to === "STOPPED"
    ? {
        detailType: "Bulk Cancellation Finished",
        detail: {
          eventId: record.id,
          target: { type: "bulk", id: record.jobId },
          state: record.to,
          total: record.total,
          counts: record.counts,
          trigger: "bulk",
          actor: record.actor,
          ...(record.reason !== undefined && { reason: record.reason }),
          createdAt: record.createdAt,
          ...(record.startedAt !== undefined && { startedAt: record.startedAt }),
          ...(record.finishedAt !== undefined && { finishedAt: record.finishedAt }),
          correlationId: record.correlationId,
          at: record.at,
        },
      }
    : undefined;

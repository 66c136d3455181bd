/**
 * Records and outcomes for the DynamoDB adapter tests.
 */
import { randomUUID } from "node:crypto";
import { monotonicFactory } from "ulid";
import type { CancelOutcome } from "#core/outcome.ts";
import type { AuditRecord } from "#core/ports.ts";

const nextUlid = monotonicFactory();

/**
 * 2036-11-23T10:00:00.000Z: ahead of the real clock on purpose. An idempotency key item
 * expires (TTL `expiresAt`) a day after the `now` it was written at, and DynamoDB Local's TTL
 * reaper deletes expired items while a test runs: with a T0 in the past, an attempt item
 * vanished from under a test at random (abandoned-attempts.test.ts failed 1 run in 2).
 */
export const T0 = Date.parse("2036-11-23T10:00:00.000Z");

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A scope key no other test uses. */
export const uniqueScopeKey = (label: string): string =>
  `http:app-1:POST /api/v1/intents/cancel:${label}:${randomUUID()}`;

export const cancelledIntent = (intentId: string): CancelOutcome => ({
  type: "CANCELLED",
  target: { type: "intent", id: intentId },
  intent: {
    id: intentId,
    status: "CANCELLED",
    updatedAt: "2026-11-23T10:00:01.000Z",
    cancelledAt: "2026-11-23T10:00:01.000Z",
  },
  upstream: { httpStatus: 200, code: 0, message: "success", requestId: "req-1", latencyMs: 42, attempts: 1 },
});

/** An audit record; `overrides` win. */
export const auditRecord = (overrides: Partial<AuditRecord> = {}): AuditRecord => ({
  id: nextUlid(),
  at: iso(T0),
  target: { type: "intent", id: `intent-${randomUUID()}` },
  trigger: "http",
  actor: "app-1",
  owner: "app-1",
  outcome: "CANCELLED",
  latencyMs: 12,
  correlationId: `corr-${randomUUID()}`,
  ...overrides,
});

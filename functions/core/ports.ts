/**
 * The small interfaces the use cases run over, one file per concern (functions/core/ports/);
 * this index lets a use case import what it needs from one place. Adapters implement them
 * with real clients (Procure-Core, A55, DynamoDB, EventBridge); tests use in-memory fakes.
 * Nothing here knows AWS, HTTP, the environment or the clock.
 *
 * | concern | file | implemented by |
 * |---|---|---|
 * | the upstreams' documented answers, call options | ports/upstreams.ts | adapters/procure-core, adapters/a55 |
 * | the audit log (and outbox items) | ports/audit-log.ts | adapters/dynamo/audit-log.ts |
 * | reading cancellations | ports/cancellations.ts | adapters/dynamo/cancellation-store.ts |
 * | taking an idempotency key | ports/idempotency.ts | adapters/dynamo/idempotency-store.ts |
 * | the unit of work: every state-changing transaction | ports/unit-of-work.ts | adapters/dynamo/unit-of-work.ts |
 * | outcome events on the bus | ports/outcome-events.ts | adapters/events/event-bridge-publisher.ts |
 * | time and ids | ports/clock-and-ids.ts | wiring/container.ts |
 */
export type * from "./ports/audit-log.ts";
export type * from "./ports/cancellations.ts";
export type * from "./ports/clock-and-ids.ts";
export type * from "./ports/idempotency.ts";
export type * from "./ports/outcome-events.ts";
export type * from "./ports/unit-of-work.ts";
export type * from "./ports/upstreams.ts";

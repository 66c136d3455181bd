/**
 * Which door a request came through: the HTTP API, the event bus, a schedule (the sweep,
 * the continuation), or a bulk job (an item run by the work queue, background priority).
 * Kept apart from ports.ts so the record types can name it without a loop.
 */
export type Trigger = "http" | "bus" | "schedule" | "bulk";

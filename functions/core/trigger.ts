/**
 * Which door a request came through: the HTTP API, the event bus, or a schedule (the sweep,
 * the continuation). Kept apart from ports.ts so the record types can name it without a loop.
 */
export type Trigger = "http" | "bus" | "schedule";

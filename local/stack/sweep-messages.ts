/** What a sweep reports while it runs: one NDJSON line of `POST /sweep` per message. */

/** The channel the sweep handler publishes its progress objects on. */
export const SWEEP_PROGRESS_CHANNEL = "cancellation-service:sweep-progress";

/** `waiting`: another sweep runs; this one starts after it. */
export type SweepStreamLine =
  | { type: "waiting"; reason: string }
  | { type: "progress"; progress: unknown }
  | { type: "summary"; summary: unknown }
  | { type: "error"; error: string };

/** What a scheduled run reports while it runs: one NDJSON line of `POST /<route>` per message. */

/** The channel the sweep handler publishes its progress objects on (one definition, in the handlers). */
export { SWEEP_PROGRESS_CHANNEL } from "#handlers/progress-channels.ts";

/** `waiting`: another run of the same function is in progress; this one starts after it. */
export type SweepStreamLine =
  | { type: "waiting"; reason: string }
  | { type: "progress"; progress: unknown }
  | { type: "summary"; summary: unknown }
  | { type: "error"; error: string };

/** What the local schedule sends a scheduled function: EventBridge Scheduler's event, plus `dryRun` for `POST /sweep`. */
export interface ScheduledEvent {
  dryRun?: true;
  version: string;
  id: string;
  "detail-type": "Scheduled Event";
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, never>;
}

/**
 * The diagnostics channels a scheduled function publishes its progress on while it runs.
 * Nothing subscribes on Lambda; the local stack streams them to `POST /sweep`'s caller
 * (local/stack/sweep-messages.ts), the bench and the tests read them.
 */
export const SWEEP_PROGRESS_CHANNEL = "cancellation-service:sweep-progress";

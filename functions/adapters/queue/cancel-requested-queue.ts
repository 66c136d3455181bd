/**
 * How the `Cancel Requested` work queue is consumed, in one place: infra/bus.ts deploys
 * these values, the local stack (`npm start`, the simulation) runs them, and the infra
 * check asserts the deployed graph matches them.
 */
export const CANCEL_REQUESTED_CONSUMER = {
  /** The bus function's timeout. */
  functionTimeoutSeconds: 60,
  /**
   * AWS's guidance for a queue feeding a Lambda event source mapping: at least six times the
   * function's timeout, so a message is not delivered again while a slow or throttled
   * invocation still holds it.
   */
  visibilityTimeoutSeconds: 6 * 60,
  /** Receives after which a message that keeps failing goes to the dead-letter queue. */
  maxReceiveCount: 5,
  /** Messages per invocation. */
  batchSize: 10,
  /** Invocations of the bus function the event source mapping runs at once (the queue's drain concurrency). */
  maximumConcurrency: 5,
  /** How long the mapping gathers messages before invoking with fewer than `batchSize`. */
  maximumBatchingWindowSeconds: 0,
} as const;

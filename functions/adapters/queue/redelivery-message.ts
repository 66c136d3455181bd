/**
 * What a copy put back on the work queue carries, apart from the adapter that sends it
 * (sqs-redelivery.ts): the bus function reads these on every message, and must not load
 * the SQS client to do so (the client is loaded on the first send).
 */

/** The longest delay SQS accepts on a message (15 minutes). */
export const MAX_DELAY_SECONDS = 900;

/** Message attributes carried by every copy the redelivery adapter sends. */
export const REDELIVERY_ATTRIBUTES = {
  /** How many times the request has been put back so far (Number). */
  count: "redeliveries",
  /** When the first copy of the request was sent to the queue, epoch ms (Number). */
  firstSentAt: "firstSentAt",
} as const;

/**
 * How many times the Cancel Requested work queue delivers a message before SQS dead-letters it.
 * The manifest deploys it as the queue's redrive policy (function-manifest.ts); the bus function
 * reads it to know a receive is the last one, on which it dead-letters the message itself, with
 * its error (functions/wiring/bus-wiring.ts). A module of its own so that the bus function does
 * not load the whole manifest at init for one number (bench suite 3 measures module init).
 */
export const CANCEL_REQUESTED_MAX_RECEIVES = 5;

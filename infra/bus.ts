/**
 * The service's event bus: other services put `Cancel Requested` events on it (a function
 * whose manifest trigger is a work queue gets a rule on it: work-queue.ts), and the outbox
 * relay, the one function whose manifest entry grants `events:PutEvents`, publishes the
 * outcome events to it.
 */
export function createBus() {
  return new sst.aws.Bus("CancellationBus");
}

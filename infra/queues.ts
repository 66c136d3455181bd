/** Dead-letter queues keep what could not be delivered or processed for 14 days (the SQS maximum). */
const FOURTEEN_DAYS_IN_SECONDS = 14 * 24 * 60 * 60;

/** A queue that only collects failures: long retention, encrypted at rest by SQS. */
export function deadLetterQueue(name: string) {
  return new sst.aws.Queue(name, {
    transform: {
      queue: (args) => {
        args.messageRetentionSeconds = FOURTEEN_DAYS_IN_SECONDS;
        args.sqsManagedSseEnabled = true;
      },
    },
  });
}

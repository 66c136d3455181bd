/**
 * The errors the local SQS answers with, named as SQS names them, so the AWS SDK raises
 * the same exception classes it would against AWS (`QueueDoesNotExist`,
 * `ReceiptHandleIsInvalid`, `MessageNotInflight`…).
 */

/** `code` is the error's shape name; `queryCode` the awsQuery-compatible code SQS also sends. */
export class SqsError extends Error {
  override readonly name = "SqsError";
  readonly code: string;
  readonly queryCode: string;
  readonly status: number;
  constructor(code: string, message: string, options: { queryCode?: string; status?: number } = {}) {
    super(message);
    this.code = code;
    this.queryCode = options.queryCode ?? code;
    this.status = options.status ?? 400;
  }
}

export const queueDoesNotExist = (): SqsError =>
  new SqsError("QueueDoesNotExist", "The specified queue does not exist.", {
    queryCode: "AWS.SimpleQueueService.NonExistentQueue",
  });

export const invalidParameter = (message: string): SqsError => new SqsError("InvalidParameterValue", message);

export const missingParameter = (name: string): SqsError =>
  new SqsError("MissingParameter", `The request must contain the parameter ${name}.`);

export const receiptHandleIsInvalid = (handle: string): SqsError =>
  new SqsError(
    "ReceiptHandleIsInvalid",
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );

export const messageNotInflight = (): SqsError =>
  new SqsError("MessageNotInflight", "The message referred to isn't in flight.", {
    queryCode: "AWS.SimpleQueueService.MessageNotInflight",
  });

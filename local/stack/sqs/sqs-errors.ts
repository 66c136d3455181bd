/**
 * The errors the local SQS answers with, named as SQS names them, so the AWS SDK raises
 * the same exception classes it would against AWS (`QueueDoesNotExist`,
 * `ReceiptHandleIsInvalid`, `MessageNotInflight`…), with the awsQuery-compatible codes of
 * SQS's model (its `awsQueryError` traits, shipped in @aws-sdk/client-sqs's schema), which
 * the SDK puts in an error's `Code`.
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

/** The batch errors, named and coded as the SQS model names and codes them. */
const batchError = (name: string, message: string): SqsError =>
  new SqsError(name, message, { queryCode: `AWS.SimpleQueueService.${name}` });

export const emptyBatchRequest = (): SqsError =>
  batchError("EmptyBatchRequest", "There should be at least one entry in the request.");

export const tooManyEntriesInBatchRequest = (count: number): SqsError =>
  batchError(
    "TooManyEntriesInBatchRequest",
    `Maximum number of entries per request are 10. You have sent ${count}.`,
  );

export const batchEntryIdsNotDistinct = (id: string): SqsError =>
  batchError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`);

export const invalidBatchEntryId = (): SqsError =>
  batchError(
    "InvalidBatchEntryId",
    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
  );

export const batchRequestTooLong = (bytes: number, limit: number): SqsError =>
  batchError(
    "BatchRequestTooLong",
    `Batch requests cannot be longer than ${limit} bytes. You have sent ${bytes} bytes.`,
  );

export const unsupportedOperation = (message: string): SqsError =>
  new SqsError("UnsupportedOperation", message, { queryCode: "AWS.SimpleQueueService.UnsupportedOperation" });

/**
 * The MD5 digests SQS returns with every message, computed as SQS does, so the AWS SDK's
 * checksum validation (on by default for SendMessage, SendMessageBatch and ReceiveMessage)
 * accepts the local queue's answers.
 */
import { createHash } from "node:crypto";

/** A message attribute as the SQS JSON protocol carries it (`BinaryValue` base64). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** Hex MD5 of a message body (UTF-8). */
export const md5OfBody = (body: string): string => createHash("md5").update(body, "utf8").digest("hex");

const lengthPrefixed = (bytes: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/**
 * Hex MD5 of message attributes, by SQS's documented algorithm: for each attribute in name
 * order, the length-prefixed name, the length-prefixed data type, one transport byte (1:
 * string, 2: binary) and the length-prefixed value. Undefined when there are none.
 */
export const md5OfMessageAttributes = (
  attributes: Readonly<Record<string, MessageAttributeValue>>,
): string | undefined => {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash("md5");
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    hash.update(lengthPrefixed(Buffer.from(name, "utf8")));
    hash.update(lengthPrefixed(Buffer.from(value.DataType, "utf8")));
    if (value.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      hash.update(lengthPrefixed(Buffer.from(value.BinaryValue, "base64")));
    } else {
      hash.update(Buffer.from([1]));
      hash.update(lengthPrefixed(Buffer.from(value.StringValue ?? "", "utf8")));
    }
  }
  return hash.digest("hex");
};

/**
 * DynamoDB Streams records as the SDK reads them (`GetRecords`), turned into what Lambda
 * hands a function in a `DynamoDBStreamEvent`: the same fields, attribute values as JSON
 * (binary as base64), `ApproximateCreationDateTime` in epoch seconds, and the stream's ARN
 * as `eventSourceARN`.
 */
import type {
  AttributeValue as SdkAttributeValue,
  _Record as SdkRecord,
} from "@aws-sdk/client-dynamodb-streams";
import type { AttributeValue, DynamoDBRecord } from "aws-lambda";

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/** One attribute value in Lambda's JSON form. */
export const toLambdaAttribute = (value: SdkAttributeValue): AttributeValue => {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  throw new TypeError(`Unknown attribute value type: ${Object.keys(value).join(", ")}`);
};

export const toLambdaImage = (image: Record<string, SdkAttributeValue>): Record<string, AttributeValue> =>
  Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaAttribute(value)]));

/** One record of a `DynamoDBStreamEvent`. */
export const toLambdaRecord = (record: SdkRecord, streamArn: string): DynamoDBRecord => {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    dynamodb: {
      ...(created !== undefined && { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) }),
      ...(stream.Keys !== undefined && { Keys: toLambdaImage(stream.Keys) }),
      ...(stream.NewImage !== undefined && { NewImage: toLambdaImage(stream.NewImage) }),
      ...(stream.OldImage !== undefined && { OldImage: toLambdaImage(stream.OldImage) }),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
    ...(record.userIdentity !== undefined && { userIdentity: { ...record.userIdentity } }),
  };
};

/** Stream sequence numbers are decimal strings of up to 40 digits: compared as numbers. */
export const compareSequenceNumbers = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * The size DynamoDB counts for an item, by its documented rules ("Item sizes and formats",
 * DynamoDB Developer Guide): each attribute name's UTF-8 bytes plus its value's size —
 * a string its UTF-8 bytes; a number about one byte per two significant digits, plus one;
 * binary its bytes; a boolean or null 1 byte; a list or map 3 bytes, plus 1 byte and the size
 * of each element (a map's element also its name); a set the sum of its elements.
 *
 * Applied to the items the service really wrote (read back from DynamoDB Local), it is the
 * measured size the capacity suite reports; write units are ⌈size / 1 KB⌉. The suite checks it
 * against the units DynamoDB Local itself reports for the same writes.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

const utf8 = (text: string): number => Buffer.byteLength(text, "utf8");

const numberSize = (text: string): number => {
  const digits = text.replace(/^-/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
};

export const valueSize = (value: AttributeValue): number => {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((total, text) => total + utf8(text), 0);
  if (value.NS !== undefined) return value.NS.reduce((total, text) => total + numberSize(text), 0);
  if (value.BS !== undefined) return value.BS.reduce((total, bytes) => total + bytes.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((total, element) => total + 1 + valueSize(element), 0);
  if (value.M !== undefined) {
    return (
      3 +
      Object.entries(value.M).reduce(
        (total, [name, element]) => total + 1 + utf8(name) + valueSize(element),
        0,
      )
    );
  }
  return 0;
};

/** The item's size in bytes, names included. */
export const itemSize = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((total, [name, value]) => total + utf8(name) + valueSize(value), 0);

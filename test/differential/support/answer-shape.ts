/**
 * What two AWS emulators' answers are compared on: their shape, not their ids or clocks.
 * An answer keeps every field, MD5, count and attribute value; ids become `<id>`, times
 * `<epoch>` / `<iso-time>` (or say how they are malformed), the endpoint and the account id
 * become `<endpoint>` and `<account>`, and JSON held in strings (a redrive policy) is
 * parsed so spacing does not count. An error keeps its name, its query-compatible code,
 * its fault and its HTTP status, not its wording.
 */

export interface ErrorShape {
  name: string;
  /** The awsQuery-compatible code (`x-amzn-query-error`), where the service sends one. */
  code: string | undefined;
  fault: string | undefined;
  status: number | undefined;
}

export type Settled = { answer: unknown } | { error: ErrorShape };

interface SdkError {
  name?: string;
  Code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Runs one call; its answer, or its error's shape. */
export const settle = async (call: () => Promise<unknown>): Promise<Settled> => {
  try {
    return { answer: await call() };
  } catch (caught) {
    const error = caught as SdkError;
    return {
      error: {
        name: error.name ?? "unknown",
        code: error.Code,
        fault: error.$fault,
        status: error.$metadata?.httpStatusCode,
      },
    };
  }
};

const IDS = new Set(["MessageId", "ReceiptHandle", "EventId", "id"]);
const EPOCHS = new Set([
  "SentTimestamp",
  "ApproximateFirstReceiveTimestamp",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
]);
const JSON_TEXT = new Set(["RedrivePolicy", "RedriveAllowPolicy"]);
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

const plainText = (text: string): string =>
  text
    .replace(/https?:\/\/127\.0\.0\.1:\d+/g, "<endpoint>")
    .replace(/(?<![\w.])\d{12}(?![\w.])/g, "<account>");

const fieldShape = (key: string, value: unknown): unknown => {
  if (typeof value === "string") {
    if (IDS.has(key)) return value === "" ? "<empty id>" : "<id>";
    if (key === "SenderId") return "<sender>";
    if (EPOCHS.has(key)) return /^\d+$/.test(value) ? "<epoch>" : `<epoch, malformed: ${value}>`;
    if (key === "time") return ISO_SECONDS.test(value) ? "<iso-time>" : `<iso-time, malformed: ${value}>`;
    if (JSON_TEXT.has(key)) return shapeOf(JSON.parse(value));
  }
  return shapeOf(value);
};

/** The value with ids, times, endpoint and account replaced; `$metadata` dropped. */
export const shapeOf = (value: unknown): unknown => {
  if (typeof value === "string") return plainText(value);
  if (Array.isArray(value)) return value.map((item) => shapeOf(item));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "$metadata")
      .map(([key, field]) => [key, fieldShape(key, field)]),
  );
};

/** Both sides' answers to the same calls, shaped. */
export interface Compared {
  local: unknown;
  moto: unknown;
}

/**
 * A copy without the fields at these dotted paths (`dead.Messages.0.Attributes.X`): for
 * leaving a documented difference out of a comparison while comparing everything else.
 */
export const without = (value: unknown, ...paths: string[]): unknown => {
  const copy = structuredClone(value);
  for (const path of paths) {
    const keys = path.split(".");
    const last = keys.pop() as string;
    let node: unknown = copy;
    for (const key of keys) node = (node as Record<string, unknown> | undefined)?.[key];
    if (node !== null && typeof node === "object") delete (node as Record<string, unknown>)[last];
  }
  return copy;
};

/** A copy without any field of these names, at any depth (error wording: `Message`, `message`). */
export const withoutKeys = (value: unknown, ...keys: string[]): unknown => {
  if (Array.isArray(value)) return value.map((item) => withoutKeys(item, ...keys));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !keys.includes(key))
      .map(([key, field]) => [key, withoutKeys(field, ...keys)]),
  );
};

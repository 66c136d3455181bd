/**
 * The small fast-check generators both fuzzers build on: ids that every id rule refuses,
 * ids the upstream client refuses, UUID look-alikes, path-segment encodings, and "mostly
 * valid" mixing. Garbage is built to be invalid by construction (a forbidden character,
 * a bad first character, a length over the limit), never by asking the service.
 */
import fc from "fast-check";

/** Characters no id rule accepts (ids: letters, digits, `_ . : -`; UUIDs: hex and dashes). */
const FORBIDDEN_ID_CHARS = [..." /%?#<>'\"\\+~!@*(),;=&$[]{}|^`\t\n", ..."\u0000\u00a0\u200b\u202eé😀"];

const TRAVERSALS = [
  "..",
  "../..",
  "../../etc/passwd",
  "..\\..\\windows",
  "./.",
  "%2e%2e",
  ".%2e",
  "%c0%ae%c0%ae",
];

export const anyText = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
);

/** An id every id rule refuses, decoded form. */
export const garbageId: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(anyText, fc.constantFrom(...FORBIDDEN_ID_CHARS), anyText).map(([a, bad, b]) => `${a}${bad}${b}`),
  fc.constantFrom(...TRAVERSALS),
  // Starts with a character only allowed later.
  fc
    .tuple(fc.constantFrom(".", "_", ":", "-"), fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/))
    .map(([a, b]) => a + b),
  // Too long (the limit is 128).
  fc
    .string({ unit: fc.constantFrom("a", "Z", "7", "_"), minLength: 129, maxLength: 400 })
    .map((s) => `a${s}`),
  // Empty.
  fc.constant(""),
);

/** Ids the upstream client would send: 1–31 of `A-Za-z0-9_-`. */
export const sendableId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$/);

/** Accepted by the routes and the bus (`.` and `:` allowed) but refused by the Procure-Core client. */
export const unsendableId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,12}[.:][A-Za-z0-9_.:-]{0,12}$/);

/** Not a UUID (8-4-4-4-12 hex). */
export const garbageUuid: fc.Arbitrary<string> = fc.oneof(
  garbageId,
  fc.uuid().map((u) => `${u.slice(0, 9)}g${u.slice(10)}`),
  fc.uuid().map((u) => u.replaceAll("-", "")),
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => u.slice(0, 35)),
);

/** How a decoded segment is put into the path; never changes what the route decodes it to, or fails to decode. */
export const encodeSegment = (segment: string, how: "encoded" | "raw" | "double" | "broken"): string => {
  switch (how) {
    case "encoded":
      return encodeURIComponent(segment);
    case "raw":
      // Only what would change the path's shape is encoded.
      return segment.replace(/[%/?#]/g, (c) => encodeURIComponent(c));
    case "double":
      return encodeURIComponent(encodeURIComponent(segment));
    case "broken":
      return `${encodeURIComponent(segment)}%${segment.length % 2 === 0 ? "zz" : "E0%A4"}`;
  }
};

export const encoding = fc.constantFrom("encoded", "raw", "double", "broken") as fc.Arbitrary<
  "encoded" | "raw" | "double" | "broken"
>;
/** A path segment holding a valid value (encodings that keep it valid). */
export const validEncoding = fc.constantFrom("encoded", "raw") as fc.Arbitrary<"encoded" | "raw">;

export const withQuery = (path: string): fc.Arbitrary<string> =>
  fc
    .option(
      fc.oneof(
        fc.webQueryParameters(),
        fc.string({ maxLength: 30 }).map((q) => encodeURIComponent(q)),
        fc.constant("a=1&a=2&b=%zz"),
      ),
      { nil: undefined, freq: 4 },
    )
    .map((query) => (query === undefined || query === "" ? path : `${path}?${query}`));

/** Mostly `valid`, sometimes `invalid` (extra defects besides the chosen one). */
export const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: invalid, weight: 2 });

export const chosen = <T>(
  defect: boolean,
  valid: fc.Arbitrary<T>,
  invalid: fc.Arbitrary<T>,
): fc.Arbitrary<T> => (defect ? invalid : mostly(valid, invalid));

export const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
);

/** Bodies the intent and charge routes refuse (`{reason?: string ≤ 500}`). */

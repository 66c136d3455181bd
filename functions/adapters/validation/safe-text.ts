/**
 * What text from outside may hold before it is stored or printed: one rule for the HTTP
 * routes, the `Cancel Requested` schema and the cursors, so every door refuses the same
 * things.
 */

/** A UTF-16 surrogate without its pair: it has no UTF-8 form, so it cannot be stored or sent as sent. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether the string is Unicode text (no lone surrogate); `String.prototype.isWellFormed` is ES2024. */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/**
 * Characters no one-line text field (a reason, an actor, an idempotency key) may hold: the
 * C0 controls (TAB, CR and LF included), DEL, the C1 controls, and the Unicode line and
 * paragraph separators. Each can move a terminal's cursor, ring it, clear it, start an
 * escape sequence (ESC, and CSI U+009B on terminals that take 8-bit controls), or break a
 * line where a reader expects none: printed by `cancelctl` or written to a log line, text
 * holding one could forge a line that looks like the service's own.
 *
 * TAB is refused too: it is a control character like the others (the rule stays "no
 * control character at all"), a terminal draws it at a width of its own that breaks the
 * columns an operator reads, and a caller loses nothing by sending a space instead.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Whether the text may be stored and printed as it is: well-formed and free of control characters. */
export const isSafeOneLineText = (text: string): boolean =>
  isWellFormedText(text) && !CONTROL_CHARACTER.test(text);

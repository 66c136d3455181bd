/**
 * How much of an upstream's text this service keeps. The upstream documents (docs/upstream-contracts/)
 * give no length for any field, and what an answer says flows into outcomes, which are stored
 * in the idempotency key's item and the cancellation's item (DynamoDB: 400 KB an item), answered
 * to callers and logged. So every field read from an upstream answer is bounded where it is
 * read, in the answer's schema:
 *
 * - free text (a message, a reason, an error's source and description): kept up to
 *   `UPSTREAM_TEXT_MAX_CHARS`, a longer one cut with a visible marker
 *   (`…[truncated, N chars]`, as audit texts are: core/audit-text.ts). A refusal stays the
 *   documented refusal it is, whatever the length of its message;
 * - tokens (ids, statuses, codes, times): at most `UPSTREAM_TOKEN_MAX_CHARS`; a longer one is
 *   not the documented value, so the answer is outside the contract (an operational failure,
 *   retried and alarmed, never stored);
 * - A55's list of error entries: the first `UPSTREAM_ERROR_ENTRIES_KEPT`.
 *
 * What that bounds: a character is at most 6 bytes once written as JSON (`\uXXXX` for a control
 * character or a lone surrogate). A55's error entries: 10 × (code 256 + source 512 + description
 * 512) × 6 ≈ 77 KB at most; any other answer holds a few tokens and one or two texts, under 10 KB.
 * A stored outcome holds what at most two answers said (an order: the intent's and the charge's),
 * so it stays far under the 400 KB of an item. The whole answer is read at most
 * `UPSTREAM_ANSWER_MAX_BYTES` (upstream-exchange.ts), so a runaway body cannot fill a function's
 * memory either.
 */
import * as v from "valibot";
import { truncateText } from "#core/audit-text.ts";

export const UPSTREAM_TEXT_MAX_CHARS = 512;
export const UPSTREAM_TOKEN_MAX_CHARS = 256;
export const UPSTREAM_ERROR_ENTRIES_KEPT = 10;
/** 1 MiB: a listing page of Procure-Core intents is a few tens of KB; every other answer under 2 KB. */
export const UPSTREAM_ANSWER_MAX_BYTES = 1_048_576;

/** Free text: kept up to UPSTREAM_TEXT_MAX_CHARS, marker included. */
export const upstreamText = () =>
  v.pipe(
    v.string(),
    v.transform((text) => truncateText(text, UPSTREAM_TEXT_MAX_CHARS)),
  );

/** A token: at most UPSTREAM_TOKEN_MAX_CHARS, else not the documented value. */
export const upstreamToken = () => v.pipe(v.string(), v.maxLength(UPSTREAM_TOKEN_MAX_CHARS));

/** A list of entries of which the first UPSTREAM_ERROR_ENTRIES_KEPT are kept. */
export const firstEntries = <T>(entry: v.GenericSchema<unknown, T>) =>
  v.pipe(
    v.array(entry),
    v.transform((entries) => entries.slice(0, UPSTREAM_ERROR_ENTRIES_KEPT)),
  );

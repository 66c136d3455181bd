/**
 * Reading Procure-Core answers: every answer is the envelope `{code, message, data}`
 * (seed 000 "响应参数"), and `data` depends on the code. These functions only recognise
 * shapes; deciding what an answer means is the client's job. Every field is bounded as it is
 * read (validation/upstream-text.ts: texts cut, tokens refused past their length).
 */
import * as v from "valibot";
import { upstreamText, upstreamToken } from "#adapters/validation/upstream-text.ts";
import type { IntentView } from "#core/outcome.ts";
import type { IntentDetails, IntentPage } from "#core/ports.ts";

/** The codes of the seed's tables, plus the success code. */
export const PROCURE_CORE_CODES = {
  ok: 0,
  notCancellable: 40003,
  forbidden: 40301,
  notFound: 40401,
  cancelFailed: 50003,
} as const;

export interface Envelope {
  code: number;
  message: string;
  data: unknown;
}

const envelopeSchema = v.object({
  code: v.pipe(v.number(), v.integer()),
  message: upstreamText(),
  data: v.optional(v.unknown()),
});

const intentViewSchema = v.object({
  id: upstreamToken(),
  status: upstreamToken(),
  updatedAt: upstreamToken(),
  // The seed shows `cancelledAt` only on a CANCELLED intent; absent and null both mean "not cancelled".
  cancelledAt: v.nullish(upstreamToken(), null),
});

const intentDetailsSchema = v.object({ ...intentViewSchema.entries, createdAt: upstreamToken() });

const intentPageSchema = v.object({
  items: v.array(intentDetailsSchema),
  total: v.pipe(v.number(), v.integer(), v.minValue(0)),
  page: v.pipe(v.number(), v.integer(), v.minValue(1)),
  pageSize: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

const notCancellableSchema = v.object({ currentStatus: upstreamToken(), reason: upstreamText() });
const reasonSchema = v.object({ reason: upstreamText() });

/** The envelope in a response body, or undefined when the body is not JSON or not an envelope. */
export const parseEnvelope = (text: string): Envelope | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(envelopeSchema, json);
  return parsed.success ? { ...parsed.output, data: parsed.output.data ?? null } : undefined;
};

const read =
  <T>(schema: v.GenericSchema<unknown, T>) =>
  (data: unknown): T | undefined => {
    const parsed = v.safeParse(schema, data);
    return parsed.success ? parsed.output : undefined;
  };

/** `data` of a successful cancel. */
export const readIntentView: (data: unknown) => IntentView | undefined = read(intentViewSchema);
/** `data` of a successful read. */
export const readIntentDetails: (data: unknown) => IntentDetails | undefined = read(intentDetailsSchema);
/** `data` of a successful listing (shape assumed: see list-query.ts). */
export const readIntentPage: (data: unknown) => IntentPage | undefined = read(intentPageSchema);
/** `data` of a 40003 answer. */
export const readNotCancellable: (data: unknown) => { currentStatus: string; reason: string } | undefined =
  read(notCancellableSchema);
/** `data.reason` of a 50003 answer. */
export const readReason = (data: unknown): string | undefined => read(reasonSchema)(data)?.reason;

/**
 * `GET /api/v1/intents` — the listing the seed's usage section relies on
 * (`client.intents.list({status, sortBy: 'createdAt', order: 'asc'})` read as
 * `intents.data.items`) but never documents.
 *
 * ASSUMPTION (ours, stated here once; the sandbox implements exactly this):
 * - query parameters `status` (one intent status), `sortBy` (only `createdAt`), `order`
 *   (`asc` | `desc`, default `desc`), `page` (1-based, default 1) and `pageSize`
 *   (1–100, default 20); an unknown parameter or a bad value is a 400 envelope;
 * - answer `{code: 0, message, data: {items, total, page, pageSize}}` where each item is
 *   `{id, status, createdAt, updatedAt, cancelledAt}` and `total` counts every match;
 * - only the calling app's intents are listed; equal `createdAt` values are ordered by id
 *   so pages do not overlap.
 * If the real listing differs, this file and the sandbox's list route are what change.
 */
import { ValidationError } from "#core/errors.ts";
import { isIntentStatus } from "#core/intent-rules.ts";
import type { ListIntentsQuery } from "#core/ports.ts";

export const LIST_DEFAULTS = { sortBy: "createdAt", order: "desc", page: 1, pageSize: 20 } as const;
export const MAX_PAGE_SIZE = 100;
export const LIST_PARAMETERS = ["status", "sortBy", "order", "page", "pageSize"] as const;

const positiveInteger = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 1;

/**
 * Checks a listing query and renders it as the query string to send and sign (without
 * `?`; empty when nothing is set). Parameters keep one fixed order so the same query is
 * always the same signed text. Throws `ValidationError` naming the field.
 */
export const toListQueryString = (query: ListIntentsQuery): string => {
  const params = new URLSearchParams();
  if (query.status !== undefined) {
    if (!isIntentStatus(query.status)) throw new ValidationError("status", "status must be an intent status");
    params.set("status", query.status);
  }
  if (query.sortBy !== undefined) {
    if (query.sortBy !== "createdAt") throw new ValidationError("sortBy", "sortBy must be createdAt");
    params.set("sortBy", query.sortBy);
  }
  if (query.order !== undefined) {
    if (query.order !== "asc" && query.order !== "desc") {
      throw new ValidationError("order", "order must be asc or desc");
    }
    params.set("order", query.order);
  }
  if (query.page !== undefined) {
    if (!positiveInteger(query.page)) throw new ValidationError("page", "page must be an integer >= 1");
    params.set("page", String(query.page));
  }
  if (query.pageSize !== undefined) {
    if (!positiveInteger(query.pageSize) || query.pageSize > MAX_PAGE_SIZE) {
      throw new ValidationError("pageSize", `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    params.set("pageSize", String(query.pageSize));
  }
  return params.toString();
};

/**
 * Parses the listing's query string. The listing itself is undocumented upstream; the
 * parameters, limits and answer shape are our assumption, stated once in
 * `functions/adapters/procure-core/list-query.ts` and imported from there.
 */

import { LIST_DEFAULTS, LIST_PARAMETERS, MAX_PAGE_SIZE } from "#adapters/procure-core/list-query.ts";
import { isIntentStatus } from "#core/intent-rules.ts";
import type { ListFilter } from "./intent-store.ts";

/** The filter, or a message naming the offending parameter. */
export const parseListParams = (query: URLSearchParams): { filter: ListFilter } | { error: string } => {
  const seen = new Set<string>();
  for (const key of query.keys()) {
    if (!(LIST_PARAMETERS as readonly string[]).includes(key)) return { error: `unknown parameter ${key}` };
    if (seen.has(key)) return { error: `parameter ${key} is repeated` };
    seen.add(key);
  }
  const status = query.get("status");
  if (status !== null && !isIntentStatus(status)) return { error: "status must be an intent status" };
  const sortBy = query.get("sortBy") ?? LIST_DEFAULTS.sortBy;
  if (sortBy !== "createdAt") return { error: "sortBy must be createdAt" };
  const order = query.get("order") ?? LIST_DEFAULTS.order;
  if (order !== "asc" && order !== "desc") return { error: "order must be asc or desc" };
  const page = integer(query.get("page"), LIST_DEFAULTS.page, 1_000_000_000);
  if (page === undefined) return { error: "page must be an integer >= 1" };
  const pageSize = integer(query.get("pageSize"), LIST_DEFAULTS.pageSize, MAX_PAGE_SIZE);
  if (pageSize === undefined) return { error: `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}` };
  return { filter: { ...(status === null ? {} : { status }), order, page, pageSize } };
};

const integer = (text: string | null, fallback: number, max: number): number | undefined => {
  if (text === null) return fallback;
  if (!/^[1-9]\d{0,9}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= max ? value : undefined;
};

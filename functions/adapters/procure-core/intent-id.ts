/**
 * Which intent ids this service will put into a Procure-Core URL.
 *
 * The seed never defines the id format; its examples are `intent_67890`. We accept
 * 1–128 ASCII letters, digits, `_` and `-`, starting with a letter or digit: every documented example fits, and nothing
 * that could change the request's meaning (`/`, `..`, `?`, `#`, `%`, spaces) can reach the
 * path, so the path that is signed is the path that is sent. The sandbox applies the same
 * rule to what it accepts.
 */
import { ValidationError } from "#core/errors.ts";

export const INTENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export const isValidIntentId = (id: unknown): id is string =>
  typeof id === "string" && INTENT_ID_PATTERN.test(id);

/** Throws `ValidationError` (field `id`) for an id that must never be sent. The message does not echo the id. */
export const assertIntentId = (id: unknown): string => {
  if (!isValidIntentId(id)) {
    throw new ValidationError(
      "id",
      "Intent id must be 1-128 characters of A-Z, a-z, 0-9, '_' or '-', starting with a letter or digit",
    );
  }
  return id;
};

/**
 * The last check before an intent id is put into a Procure-Core URL: the rule is the service's
 * one (functions/core/identifiers.ts), so the path that is signed is the path that is sent. The
 * sandbox applies the same rule to what it accepts.
 */
import { ValidationError } from "#core/errors.ts";
import { isValidIntentId } from "#core/identifiers.ts";

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

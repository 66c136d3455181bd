/**
 * The A55 `Idempotency-Key` of a logical cancel, derived from its idempotency scope key so
 * that every retry of that cancel (after a timeout, a crash, a redelivery) sends the same
 * key and A55 applies the cancel once (docs/api.md, "Idempotency").
 *
 * A name-based key shaped as a UUID v4: the 122 bits of a UUID v5 (SHA-1 of the namespace
 * and the name, RFC 9562 §5.5), with the version nibble set to 4 and the RFC variant bits
 * kept. Seed 001 asks for a "UUID v4"; a server that checks the version (and answers 422
 * otherwise) reads this key as one. It is still fully determined by the name, unlike a
 * random v4, and collides with another key no more often than two v5 keys would. The uuid
 * library computes the v5 bytes; only the version bits are ours, so this stays one small
 * function rather than a hand-written hash.
 */
import { stringify, v5 } from "uuid";

/** The namespace of every derived key: a fixed random UUID of this service. Never change it. */
export const DERIVED_KEY_NAMESPACE = "0d5c3f52-8a57-4f6e-9a3c-6f1e2b7d4c90";

/**
 * The same `name` always gives the same key; the key is 8-4-4-4-12 lower-case hex with
 * version 4 and variant `10xx` (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`).
 */
export const derivedIdempotencyKey = (name: string, namespace: string = DERIVED_KEY_NAMESPACE): string => {
  const bytes = v5(name, namespace, new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40; // version 4 (v5 put 5 here)
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant, as v5 already set it
  return stringify(bytes);
};

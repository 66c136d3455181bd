/**
 * The sandbox accepts any 8-4-4-4-12 hex string as a path UUID, whatever its version bits:
 * the seed's own example ids (`a1b2c3d4-e5f6-7890-…`) are not version 4. The
 * `Idempotency-Key` is held to what seed 001 asks for, a UUID v4 (version nibble 4, RFC
 * variant `10xx`), as A55 may check it: a key of another version is answered 422, so a
 * client that sends one (e.g. a plain UUID v5) is caught here before A55 does it. Kept
 * apart from the client's checks on purpose: the sandbox must not share code with the
 * client it tests.
 */
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_V4_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export const isUuidShape = (value: string): boolean => UUID_SHAPE.test(value);

export const isUuidV4Shape = (value: string): boolean => UUID_V4_SHAPE.test(value);

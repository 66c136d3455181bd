/**
 * The sandbox accepts any 8-4-4-4-12 hex string as a UUID, whatever its version bits:
 * the seed's own example ids (`a1b2c3d4-e5f6-7890-…`) are not version 4, and the service
 * sends UUID v5 idempotency keys. Kept apart from the client's check on purpose: the
 * sandbox must not share code with the client it tests.
 */
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuidShape = (value: string): boolean => UUID_SHAPE.test(value);

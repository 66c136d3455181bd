import { v5 as uuidv5, validate, version } from "uuid";
import { describe, expect, it } from "vitest";
import { DERIVED_KEY_NAMESPACE, derivedIdempotencyKey } from "#adapters/ids/derived-key.ts";
import { ulidIds } from "#wiring/container.ts";

/** Seed 001's `Idempotency-Key`: a UUID v4 (version nibble 4, RFC variant). */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("derivedIdempotencyKey (the A55 Idempotency-Key of a logical cancel)", () => {
  // Pinned: a change of namespace or derivation would send a retried cancel under a new
  // key. Computed independently with Python's uuid module:
  //   u = uuid5(UUID(namespace), name); b = bytearray(u.bytes); b[6] = b[6] & 0x0f | 0x40
  it.each([
    ["http:storefront-demo-wallet:charge-cancel:k-1", "74fbfb57-32b9-43fd-b558-e682048052bf"],
    ["order:o1#charge", "796f348a-ea52-4344-b102-67c4e5a02d46"],
  ])("derives %s into %s", (name, key) => {
    expect(derivedIdempotencyKey(name)).toBe(key);
  });

  it("is shaped as a UUID v4, for any name", () => {
    for (const name of ["", "a", "http:app:intent-cancel:k", "用户:取消", "x".repeat(10_000)]) {
      const key = derivedIdempotencyKey(name);
      expect(key).toMatch(UUID_V4);
      expect(validate(key)).toBe(true);
      expect(version(key)).toBe(4);
    }
  });

  it("is deterministic, and different names give different keys", () => {
    expect(derivedIdempotencyKey("scope-1")).toBe(derivedIdempotencyKey("scope-1"));
    expect(derivedIdempotencyKey("scope-1")).not.toBe(derivedIdempotencyKey("scope-2"));
    expect(derivedIdempotencyKey("scope-1", "6ba7b811-9dad-11d1-80b4-00c04fd430c8")).not.toBe(
      derivedIdempotencyKey("scope-1"),
    );
  });

  it("is the name's UUID v5 with only the version nibble changed", () => {
    const v5 = uuidv5("scope-1", DERIVED_KEY_NAMESPACE);
    const key = derivedIdempotencyKey("scope-1");
    expect(version(v5)).toBe(5);
    expect(key).toBe(`${v5.slice(0, 14)}4${v5.slice(15)}`);
  });

  it("is what the composition root derives", () => {
    expect(ulidIds().derived("order:o1#charge")).toBe("796f348a-ea52-4344-b102-67c4e5a02d46");
  });
});

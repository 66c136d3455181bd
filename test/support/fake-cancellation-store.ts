/**
 * An in-memory {@link CancellationStore} with the port's documented semantics: versioned
 * conditional commits, `due` and `listOpen` oldest-due first (by `nextCheckAt`, then kind and
 * id), pages behind an opaque cursor. The operations routes are tested on it until the
 * lifecycle's own DynamoDB store is merged.
 */
import type { Cancellation, CancellationKind } from "#core/cancellation.ts";
import { ValidationError } from "#core/errors.ts";
import type { AuditRecord, CancellationStore, CancellationTransition, Page } from "#core/ports.ts";

const keyOf = (kind: CancellationKind, id: string): string => `${kind}#${id}`;

const order = (a: Cancellation, b: Cancellation): number =>
  (a.nextCheckAt ?? Number.POSITIVE_INFINITY) - (b.nextCheckAt ?? Number.POSITIVE_INFINITY) ||
  keyOf(a.kind, a.id).localeCompare(keyOf(b.kind, b.id));

export class FakeCancellationStore implements CancellationStore {
  readonly #records = new Map<string, Cancellation>();
  readonly audits: AuditRecord[] = [];

  async get(kind: CancellationKind, id: string): Promise<Cancellation | undefined> {
    const found = this.#records.get(keyOf(kind, id));
    return found === undefined ? undefined : structuredClone(found);
  }

  async due(now: number, options: { limit?: number; cursor?: string } = {}): Promise<Page<Cancellation>> {
    return this.#page(
      (c) => c.state !== "DONE" && c.nextCheckAt !== undefined && c.nextCheckAt <= now,
      options,
    );
  }

  async listOpen(options: { limit?: number; cursor?: string } = {}): Promise<Page<Cancellation>> {
    return this.#page((c) => c.state !== "DONE" && c.nextCheckAt !== undefined, options);
  }

  async commit(transition: CancellationTransition, audits: AuditRecord[]): Promise<"written" | "conflict"> {
    const key = keyOf(transition.next.kind, transition.next.id);
    const current = this.#records.get(key);
    if ((current?.version ?? null) !== transition.expectedVersion) return "conflict";
    this.#records.set(key, structuredClone(transition.next));
    this.audits.push(...audits);
    return "written";
  }

  #page(
    keep: (c: Cancellation) => boolean,
    options: { limit?: number; cursor?: string },
  ): Page<Cancellation> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ValidationError("limit", "limit must be an integer from 1 to 1000");
    }
    const all = [...this.#records.values()].filter(keep).sort(order);
    let start = 0;
    if (options.cursor !== undefined) {
      const after = Buffer.from(options.cursor, "base64url").toString("utf8");
      start = all.findIndex((c) => keyOf(c.kind, c.id) === after) + 1;
      if (start === 0) throw new ValidationError("cursor", "cursor is not one this listing returned");
    }
    const items = all.slice(start, start + limit);
    const last = items.at(-1);
    return start + limit < all.length && last !== undefined
      ? {
          items: items.map((c) => structuredClone(c)),
          cursor: Buffer.from(keyOf(last.kind, last.id)).toString("base64url"),
        }
      : { items: items.map((c) => structuredClone(c)) };
  }
}

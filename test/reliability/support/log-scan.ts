/**
 * Case 5 of the reliability suite: everything the service writes while a case runs is
 * captured (stdout, stderr, and the global console), then searched for every credential
 * the case handled — the kit's app secret and client tokens, the upstream secrets from the
 * secrets file, and every X-Signature or bearer token a request carried.
 *
 * Search is by a 12-character prefix index, so tens of thousands of credentials (one
 * signature per request) against megabytes of log lines stay a linear scan.
 */
import { format } from "node:util";
import { vi } from "vitest";

/** Shorter values would match innocent text by chance; every credential the suite registers is longer. */
export const MIN_CREDENTIAL_LENGTH = 12;

export interface CredentialLeak {
  label: string;
  /** The leaking line, cut to 300 characters (it holds the credential, so never print it whole in a report). */
  line: string;
}

/**
 * Captures output from `start()` to `stop()`. stdout/stderr writes (the Powertools logger's
 * JSON lines) are kept and not shown; console calls are kept and still shown, so a test's
 * own diagnostics stay visible.
 */
export class OutputCapture {
  readonly lines: string[] = [];
  #restore: (() => void)[] = [];

  start(): void {
    if (this.#restore.length > 0) return;
    const keep = (text: string): void => {
      for (const line of text.split("\n")) if (line.trim() !== "") this.lines.push(line);
    };
    const swallow = (chunk: unknown): boolean => {
      keep(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return true;
    };
    const out = vi.spyOn(process.stdout, "write").mockImplementation(swallow);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(swallow);
    this.#restore.push(
      () => out.mockRestore(),
      () => err.mockRestore(),
    );
    for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      const original = console[method].bind(console);
      const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        keep(format(...args));
        original(...args);
      });
      this.#restore.push(() => spy.mockRestore());
    }
  }

  stop(): void {
    for (const restore of this.#restore.splice(0)) restore();
  }
}

/** The credentials a case handled, and a search for them in captured lines. */
export class CredentialScanner {
  readonly #byPrefix = new Map<string, { value: string; label: string }[]>();
  #count = 0;

  /** How many distinct credentials are registered. */
  get size(): number {
    return this.#count;
  }

  /**
   * Registers a value that must never be written. Its JSON-escaped form is searched too,
   * since log lines are JSON.
   *
   * @throws RangeError for a value shorter than {@link MIN_CREDENTIAL_LENGTH}
   */
  add(label: string, value: string): void {
    if (value.length < MIN_CREDENTIAL_LENGTH) {
      throw new RangeError(`credential "${label}" is too short to search for (${value.length} characters)`);
    }
    const forms = new Set([value, JSON.stringify(value).slice(1, -1)]);
    let added = false;
    for (const form of forms) {
      const prefix = form.slice(0, MIN_CREDENTIAL_LENGTH);
      const bucket = this.#byPrefix.get(prefix) ?? [];
      if (bucket.some((entry) => entry.value === form)) continue;
      bucket.push({ value: form, label });
      this.#byPrefix.set(prefix, bucket);
      added = true;
    }
    if (added) this.#count += 1;
  }

  /** Every line that holds a registered credential (at most one finding per line). */
  leaks(lines: readonly string[]): CredentialLeak[] {
    const found: CredentialLeak[] = [];
    for (const line of lines) {
      const leak = this.#leakIn(line);
      if (leak) found.push({ label: leak, line: line.slice(0, 300) });
    }
    return found;
  }

  #leakIn(line: string): string | undefined {
    for (let at = 0; at + MIN_CREDENTIAL_LENGTH <= line.length; at += 1) {
      const bucket = this.#byPrefix.get(line.slice(at, at + MIN_CREDENTIAL_LENGTH));
      if (!bucket) continue;
      for (const entry of bucket) if (line.startsWith(entry.value, at)) return entry.label;
    }
    return undefined;
  }
}

/** Collects `unhandledRejection`s from `start()` to `stop()` (vitest's own handler still sees them). */
export class UnhandledRejections {
  readonly reasons: unknown[] = [];
  readonly #listener = (reason: unknown): void => {
    this.reasons.push(reason);
  };
  start(): void {
    process.on("unhandledRejection", this.#listener);
  }
  stop(): void {
    process.off("unhandledRejection", this.#listener);
  }
}

/**
 * The apps the Procure-Core sandbox knows and their secrets (two while one is rotated).
 * Changeable at run time so tests can rotate or revoke a secret mid-run.
 */
export class AppRegistry {
  readonly #apps = new Map<string, readonly string[]>();

  constructor(apps: Record<string, string | readonly string[]> = {}) {
    for (const [appId, secrets] of Object.entries(apps)) this.set(appId, secrets);
  }

  /** Replaces the app's secrets. */
  set(appId: string, secrets: string | readonly string[]): void {
    const list = typeof secrets === "string" ? [secrets] : [...secrets];
    if (list.length === 0 || list.some((secret) => secret.length === 0)) {
      throw new Error(`App ${appId} needs at least one non-empty secret`);
    }
    this.#apps.set(appId, list);
  }

  delete(appId: string): void {
    this.#apps.delete(appId);
  }

  /** The app's secrets, or undefined for an unknown app. */
  secretsFor(appId: string): readonly string[] | undefined {
    return this.#apps.get(appId);
  }
}

/** An in-memory `EventPublisher` for tests and local runs: records what was published. */
import type { EventPublisher, OutcomeEvent } from "#core/ports.ts";

export class FakeEventPublisher implements EventPublisher {
  /** Every event published, in order. */
  readonly events: OutcomeEvent[] = [];
  /** How many times `publish` was called (also counting failed calls). */
  calls = 0;
  #failures: Error[] = [];

  async publish(events: OutcomeEvent[]): Promise<void> {
    this.calls += 1;
    const failure = this.#failures.shift();
    if (failure) throw failure;
    this.events.push(...events);
  }

  /** Makes the next `publish` call throw `error` without recording its events. */
  failNext(error: Error): void {
    this.#failures.push(error);
  }

  /** The published events of one detail type. */
  ofType(detailType: OutcomeEvent["detailType"]): OutcomeEvent[] {
    return this.events.filter((event) => event.detailType === detailType);
  }
}

// A tiny discrete-event simulation on the test engine's virtual clock. Simulated people (customers, baristas, a
// security team, an event stream) are actions scheduled at virtual times; running the agenda moves the clock to
// each action in turn (firing the workflows' own timers on the way), runs it, and lets the turns it caused finish
// before the next one. Actions may schedule further actions, so an actor can react to what a workflow did.
import type { TestEngine } from "../../src/testing/index.js";

interface Entry {
  at: number;
  order: number;
  action: () => unknown;
}

/** Actions at virtual times, run in time order (ties in the order they were scheduled). */
export class Agenda {
  private readonly entries: Entry[] = [];
  private scheduled = 0;

  constructor(private readonly t: TestEngine) {}

  /** Runs `action` at the virtual time `at` (a moment already past runs next). */
  at(at: Date | number, action: () => unknown): void {
    const time = at instanceof Date ? at.getTime() : at;
    this.entries.push({ at: time, order: this.scheduled++, action });
  }

  /** Runs `action` `ms` milliseconds of virtual time from now. */
  after(ms: number, action: () => unknown): void {
    this.at(this.t.now().getTime() + ms, action);
  }

  /** Runs every action, including those scheduled on the way, and returns once none is left and no turn runs. */
  async run(): Promise<void> {
    for (let next = this.next(); next; next = this.next()) {
      const wait = next.at - this.t.now().getTime();
      if (wait > 0) await this.t.advanceTime(wait);
      await next.action();
      await this.t.idle();
    }
  }

  private next(): Entry | undefined {
    if (this.entries.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      const current = this.entries[best]!;
      if (entry.at < current.at || (entry.at === current.at && entry.order < current.order)) best = i;
    }
    return this.entries.splice(best, 1)[0];
  }
}

/** Minutes as milliseconds, for readable schedules. */
export const minutes = (count: number): number => count * 60_000;

// Callers of result() may wait for an end that this process never writes: another process may run the execution's
// turns (external mode behind Lambda, several workers on one store). While any such caller waits, the scheduler reads
// their records now and then, from 200 ms apart backing off to 5 s, and stops once none waits. Real timers, not the
// engine's clock: a store's latency is real time, and a test kit's virtual clock must not see these as wake-ups.
import { clearTimeout, setTimeout } from "node:timers";

/** The first read of waiting callers' records after one starts waiting, in ms. */
export const FIRST_POLL_MS = 200;
/** The longest time between two reads while callers wait, in ms. */
export const MAX_POLL_MS = 5_000;

/**
 * Calls `check` now and then while it answers true (callers still wait), backing off; `wake` when a caller starts
 * waiting, `stop` for good (the engine closes).
 *
 * @example
 * ```ts
 * const poll = new EndPoll(async () => (await readWaitingRecords()) > 0);
 * poll.wake();
 * ```
 */
export class EndPoll {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delay = FIRST_POLL_MS;
  private checking = false;
  private stopped = false;

  constructor(private readonly check: () => Promise<boolean>) {}

  /** True while a read is scheduled or running: a timer keeps the process alive only then. */
  get pending(): boolean {
    return this.timer !== undefined || this.checking;
  }

  /** A caller started waiting: the next read comes soon (the back-off starts again). */
  wake(): void {
    this.delay = FIRST_POLL_MS;
    if (this.timer === undefined && !this.checking && !this.stopped) this.arm();
  }

  /** No more reads (the engine closes). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = setTimeout(() => void this.tick(), this.delay);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.checking = true;
    let waiting: boolean;
    try {
      waiting = await this.check();
    } catch {
      waiting = true; // a failed read is tried again at the next tick
    } finally {
      this.checking = false;
    }
    if (!waiting || this.stopped) return;
    this.delay = Math.min(this.delay * 2, MAX_POLL_MS);
    this.arm();
  }
}

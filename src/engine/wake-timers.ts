// The scheduler's wake-up timers: at most one per execution, on the engine's clock, each kicking the execution's turns
// when it fires.
import type { Clock } from "./clock.js";

/** One wake-up timer per execution; setting another replaces it. */
export class WakeTimers {
  private readonly timers = new Map<string, { at: number; cancel: () => void }>();

  /** `wake` is called with the execution's id when its timer fires. */
  constructor(
    private readonly clock: Clock,
    private readonly wake: (id: string) => void,
  ) {}

  /** Wakes the execution at `at` (epoch ms on the clock), instead of any earlier wake-up set for it. */
  set(id: string, at: number): void {
    const existing = this.timers.get(id);
    if (existing?.at === at) return;
    existing?.cancel();
    // The entry exists before the timer is armed, whatever the clock does.
    const entry = { at, cancel: () => {} };
    this.timers.set(id, entry);
    entry.cancel = this.clock.setTimer(at, () => {
      if (this.timers.get(id) === entry) this.timers.delete(id);
      this.wake(id);
    });
  }

  /** Cancels the execution's wake-up, if it has one. */
  cancel(id: string): void {
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
  }

  /** Cancels every wake-up. */
  cancelAll(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }
}

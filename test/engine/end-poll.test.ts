// EndPoll: how the engine reads the records of result() callers waiting for an end another process may write. Reads
// back off from FIRST_POLL_MS while callers wait, start again soon when a new caller comes, and stop (no timer left to
// keep a process alive) once none waits, or for good when the engine closes. Real timers; only lower bounds on times.
import { describe, expect, it } from "vitest";
import { EndPoll, FIRST_POLL_MS, MAX_POLL_MS } from "../../src/engine/end-poll.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds (checked every 20 ms), failing after 10 s: no assertion depends on how late timers fire. */
async function until(done: () => boolean): Promise<void> {
  for (const started = Date.now(); !done(); await sleep(20)) {
    if (Date.now() - started > 10_000) throw new Error("EndPoll test: the condition did not hold within 10 s");
  }
}

describe("EndPoll", () => {
  it("reads while callers wait, backing off, and keeps no timer once none waits", async () => {
    const reads: number[] = [];
    const started = performance.now();
    let waiting = 3;
    const poll = new EndPoll(async () => {
      reads.push(performance.now() - started);
      return --waiting > 0;
    });
    expect(poll.pending).toBe(false);
    poll.wake();
    expect(poll.pending).toBe(true);
    await until(() => !poll.pending);
    expect(reads).toHaveLength(3);
    expect(reads[0]!).toBeGreaterThanOrEqual(FIRST_POLL_MS - 5);
    expect(reads[1]! - reads[0]!).toBeGreaterThanOrEqual(2 * FIRST_POLL_MS - 5);
    expect(reads[2]! - reads[1]!).toBeGreaterThanOrEqual(4 * FIRST_POLL_MS - 5);
    expect(poll.pending).toBe(false);
    expect(MAX_POLL_MS).toBeGreaterThan(FIRST_POLL_MS);
  });

  it("tries again after a read that failed, and reads nothing more once stopped", async () => {
    let reads = 0;
    const poll = new EndPoll(async () => {
      reads++;
      if (reads === 1) throw new Error("throttled");
      return true;
    });
    poll.wake();
    await until(() => reads === 2);
    poll.stop();
    expect(poll.pending).toBe(false);
    poll.wake();
    await sleep(FIRST_POLL_MS + 100);
    expect(reads).toBe(2);
    expect(poll.pending).toBe(false);
  });
});

// Ids for executions, runs and inbox items: monotonic ULIDs. The random part comes from a pooled crypto source:
// ulid's default asks crypto for one byte at a time, which costs tens of microseconds per id. The pool is filled
// by node:crypto's randomFillSync: `globalThis.crypto` is Web Crypto, which Node loads on first touch (about 1 ms
// of a Lambda cold start, measured in B10), while node:crypto is loaded already by the AWS SDK and the stores.
import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

const POOL = 1024;

/** A [0, 1) source drawing from the operating system's CSPRNG in blocks. */
function pooledRandom(): () => number {
  const pool = new Uint32Array(POOL);
  let next = POOL;
  return () => {
    if (next === POOL) {
      randomFillSync(pool);
      next = 0;
    }
    return pool[next++]! / 4294967296;
  };
}

/**
 * Creates a monotonic ULID generator. Its time is never below 1 ms: ulid's factory fails with a TypeError on a first
 * call at epoch 0 (a test's fake timers at `now: 0`), and refuses a negative time.
 */
export function ulidFactory(): () => string {
  const next = monotonicFactory(pooledRandom());
  return () => next(Math.max(1, Date.now()));
}

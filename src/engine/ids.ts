// Ids for executions, runs and inbox items: monotonic ULIDs. The random part comes from a pooled crypto source:
// ulid's default asks crypto for one byte at a time, which costs tens of microseconds per id.
import { monotonicFactory } from "ulid";

const POOL = 1024;

/** A [0, 1) source drawing from crypto.getRandomValues in blocks. */
function pooledRandom(): () => number {
  const pool = new Uint32Array(POOL);
  let next = POOL;
  return () => {
    if (next === POOL) {
      globalThis.crypto.getRandomValues(pool);
      next = 0;
    }
    return pool[next++]! / 4294967296;
  };
}

/** Creates a monotonic ULID generator. */
export function ulidFactory(): () => string {
  return monotonicFactory(pooledRandom());
}

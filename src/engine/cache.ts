// The warm cache: suspended generators kept in memory, keyed by execution and checked against the stored version,
// so a resume in the same process continues without replaying. Bounded; least recently used entries go first.

/** A cache entry is valid only for the run and version it was parked at. */
export interface Parked {
  runId: string;
  version: number;
}

/** A bounded least-recently-used map of parked sessions. */
export class WarmCache<T extends Parked> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Parks a session (a no-op when the capacity is 0). */
  put(id: string, session: T): void {
    if (this.capacity <= 0) return;
    this.entries.delete(id);
    this.entries.set(id, session);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Removes and returns the session parked for this id, if any; the caller checks its version. */
  take(id: string): T | undefined {
    const session = this.entries.get(id);
    if (session) this.entries.delete(id);
    return session;
  }

  /** Forgets a session. */
  drop(id: string): void {
    this.entries.delete(id);
  }
}

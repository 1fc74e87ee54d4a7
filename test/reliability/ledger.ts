// The effect ledger and the engines of a reliability run. Every engine is a fresh process in external mode on the
// virtual clock, with fixed random() and uuid() answers (so a value drawn again after a crash is the same value),
// and counts each step attempt it starts in the ledger: the engine's step hook is called once, just before the step
// function runs, and is given the step's name.
import type { AnyWorkflow, Engine } from "spindle";
import { silentLogger } from "spindle";
import type { HistoryStore } from "spindle/store";
import type { Tracing } from "spindle/otel";
import type { VirtualClock } from "spindle/testing";
// The step hook is not public: the engine's internal constructor takes it, as the test kit's does.
import { Engine as EngineWithHooks } from "../../src/engine/engine.js";

/** Step attempts started, by step name, across every engine of one run. */
export class EffectLedger {
  readonly attempts = new Map<string, number>();

  count(name: string): void {
    this.attempts.set(name, (this.attempts.get(name) ?? 0) + 1);
  }

  total(): number {
    let sum = 0;
    for (const count of this.attempts.values()) sum += count;
    return sum;
  }
}

/** The uuid() of every reliability engine. */
export const FIXED_UUID = "7a1f0c3e-5b2d-4e8f-9a6c-1d2e3f405162";

/** Options of `processEngine`. */
export interface ProcessOptions {
  store: HistoryStore;
  workflows: readonly AnyWorkflow[];
  clock: VirtualClock;
  ledger: EffectLedger;
  /** Default 0: each engine is a new process, so nothing is warm anyway; racers may keep a cache. */
  cacheSize?: number;
  /** Spans (test/telemetry): every process emits into the same backend. */
  tracing?: Tracing;
}

/** A new process: an engine in external mode whose step attempts are counted in the ledger. */
export function processEngine(options: ProcessOptions): Engine {
  const { store, workflows, clock, ledger } = options;
  return new EngineWithHooks(
    {
      store,
      workflows,
      clock,
      mode: "external",
      logger: silentLogger,
      cacheSize: options.cacheSize ?? 0,
      // A dead process's lease (and a parent's re-check of its children) runs out after one virtual second, so recovery
      // moves the clock as little as possible and time-dependent results rarely change.
      staleTurnTimeout: "1s",
      random: () => 0.5,
      uuid: () => FIXED_UUID,
      ...(options.tracing ? { tracing: options.tracing } : {}),
    },
    {
      stepOverride: (name) => {
        ledger.count(name);
        return undefined;
      },
    },
  );
}

// Drives one execution of a subject to its end through a FaultStore, the way a fleet of short-lived processes would:
// every store-touching action runs on a new engine (a new process) in external mode; an action abandoned by an
// injected fault is simply tried again by the next process. When a round of resumes changes nothing, the driver
// plays the outside world: it sends the next scripted event or completes a callback the execution waits for, and
// otherwise moves the virtual clock to the earliest wake-up (a timer, a retry, or a dead process's lease).
import type { ExecutionRecord, HistoryStore } from "spindle/store";
import { CallbackNotFoundError, ConcurrencyError, StoreUnavailableError } from "spindle";
import { CLOSED_STATUSES } from "spindle/store";
import type { FaultStore } from "spindle/testing";
import type { Tracing } from "spindle/otel";
import { InjectedCrash, InjectedFault, VirtualClock } from "spindle/testing";
import { executionsOf, loadAll } from "./invariants.js";
import { EffectLedger, processEngine } from "./ledger.js";
import type { Subject } from "./subjects.js";

/** Options of `drive`. */
export interface DriveOptions {
  subject: Subject;
  faults: FaultStore;
  /** The root execution's id. */
  id: string;
  clock?: VirtualClock;
  ledger?: EffectLedger;
  /** Engines resuming each open execution at once in every round (racing processes). Default 1. */
  resumers?: number;
  /** Give up after this many rounds. Default 1,000. */
  maxRounds?: number;
  /** The subject's definitions, when the caller set it up already (a second driver on the same run). */
  prepared?: ReturnType<Subject["setup"]>;
  /** What each new process runs on instead of `faults.spawn()` and the run's ledger (a store that answers late). */
  process?: (spawned: FaultStore) => { store: HistoryStore; ledger: EffectLedger };
  /** Spans: every process's engine emits into it (test/telemetry). */
  tracing?: Tracing;
}

/** What happened while driving. */
export interface DriveResult {
  id: string;
  clock: VirtualClock;
  ledger: EffectLedger;
  /** Actions (start, resume, delivery) abandoned because of an injected fault. */
  faultedTurns: number;
  /** Resumes that lost a race to another process (ConcurrencyError). */
  racedTurns: number;
  /** Errors no fault explains: each is a finding. */
  unexpected: unknown[];
  /** True when the driver ran out of rounds with the execution still open and due. */
  stalled: boolean;
}

/** True for the errors an injected fault produces. */
export function isInjected(error: unknown): boolean {
  return error instanceof InjectedCrash || error instanceof InjectedFault || error instanceof StoreUnavailableError;
}

/** Drives the subject's execution `id` until every execution of it has ended or waits for nothing the driver has. */
export async function drive(options: DriveOptions): Promise<DriveResult> {
  const { subject, faults, id } = options;
  const clock = options.clock ?? new VirtualClock();
  const ledger = options.ledger ?? new EffectLedger();
  const { workflows, root, input } = options.prepared ?? subject.setup();
  const engine = () => {
    const spawned = faults.spawn();
    const own = options.process?.(spawned);
    const tracing = options.tracing ? { tracing: options.tracing } : {};
    return processEngine({ store: own?.store ?? spawned, workflows, clock, ledger: own?.ledger ?? ledger, ...tracing });
  };
  const inner = faults.inner;
  const result: DriveResult = { id, clock, ledger, faultedTurns: 0, racedTurns: 0, unexpected: [], stalled: false };
  const absorb = (error: unknown) => {
    if (isInjected(error)) result.faultedTurns++;
    else if (error instanceof ConcurrencyError) result.racedTurns++;
    else result.unexpected.push(error);
  };
  const delivered = new Map<string, number>();
  let started = false;

  for (let round = 0; round < (options.maxRounds ?? 1000); round++) {
    if (!started) {
      try {
        await engine().start(root, input as never, { id });
        started = true;
      } catch (error) {
        absorb(error);
      }
      if (result.unexpected.length > 0) return result;
      continue;
    }
    const open = await openRecords(faults, id);
    if (open.length === 0) return result;
    const before = fingerprint(open);
    const abandoned = result.faultedTurns + result.racedTurns;
    await Promise.all(
      open.flatMap((record) =>
        Array.from({ length: options.resumers ?? 1 }, () => engine().resume(record.id).then(() => undefined, absorb)),
      ),
    );
    if (result.unexpected.length > 0) return result;
    const after = await openRecords(faults, id);
    if (after.length === 0) return result;
    // A resume that was abandoned is simply tried again: only a quiet round means the execution waits.
    if (fingerprint(after) !== before || result.faultedTurns + result.racedTurns > abandoned) continue;
    if (await deliver(after)) continue;
    const wake = nextWake(after);
    if (wake === Infinity) return result; // waits for something the script does not send: the checker judges it
    if (wake > clock.now()) clock.set(wake);
  }
  result.stalled = true;
  return result;

  /** Sends what an execution waits for, if the script has it. True when something was tried. */
  async function deliver(records: readonly ExecutionRecord[]): Promise<boolean> {
    for (const record of records) {
      if (record.status !== "suspended" || record.inboxSeq > record.inboxSeen) continue;
      for (const wait of record.waitingFor) {
        if (wait.kind === "event") {
          const key = `${record.id}:${wait.name}`;
          const sent = delivered.get(key) ?? 0;
          const payloads = subject.events?.[wait.name] ?? [];
          if (sent >= payloads.length) continue;
          try {
            await engine().sendEvent(record.id, wait.name, payloads[sent], { idempotencyKey: `${key}:${sent}` });
            delivered.set(key, sent + 1);
          } catch (error) {
            absorb(error);
          }
          return true;
        }
        if (wait.kind === "callback" && subject.callbacks && wait.name in subject.callbacks) {
          const { events } = await loadAll(inner, record.id);
          const created = events.find(
            (event) => (event as { type: string; opId: string }).type === "CallbackCreated" && (event as { opId: string }).opId === wait.opId,
          ) as { token: string } | undefined;
          if (!created) continue;
          try {
            await engine().completeCallback(created.token, subject.callbacks[wait.name]);
          } catch (error) {
            // A completion that took effect before its process died is refused the second time: it is delivered.
            if (!(error instanceof CallbackNotFoundError)) absorb(error);
          }
          return true;
        }
      }
    }
    return false;
  }
}

/** Records of the root and its children that have not ended. */
async function openRecords(faults: FaultStore, rootId: string): Promise<ExecutionRecord[]> {
  const open: ExecutionRecord[] = [];
  for (const id of executionsOf(faults, rootId)) {
    const record = await faults.inner.get(id);
    if (record && !CLOSED_STATUSES.has(record.status)) open.push(record);
  }
  return open;
}

/**
 * When the clock should move to: the earliest wake-up of the open executions, leaving out a parent's periodic
 * re-check of a child that is still open (its progress comes from the child's own wake-ups), unless nothing else
 * is left.
 */
function nextWake(records: readonly ExecutionRecord[]): number {
  const open = new Set(records.map((record) => record.id));
  let earliest = Infinity;
  for (const record of records) {
    const waits = record.waitingFor.filter((wait) => !(wait.kind === "child" && open.has(wait.name)));
    const own = record.status === "suspended" && !record.lease ? Math.min(...waits.map((wait) => wait.until ?? Infinity)) : record.wakeAt;
    earliest = Math.min(earliest, own ?? Infinity);
  }
  return earliest === Infinity ? Math.min(...records.map((record) => record.wakeAt ?? Infinity)) : earliest;
}

function fingerprint(records: readonly ExecutionRecord[]): string {
  return records.map((r) => `${r.id}:${r.runId}:${r.status}:${r.version}:${r.inboxSeq}:${r.lease?.owner ?? ""}`).join("|");
}

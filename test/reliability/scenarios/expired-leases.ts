// Scenario: a write that comes back after its lease ended (design rule 3: a turn never starts an effect on a lease it
// no longer holds). Each subject is driven as usual, except that the k-th write recording a step outcome is accepted
// and then answers late — five lease lengths later on the virtual clock (a slow store, a paused process). With
// "takeover", other processes meanwhile take the execution over and drive it to its end before the late answer
// arrives; the late turn must then start no step at all. With "no takeover" nobody came: the late turn may renew its
// lease and go on. In both, every step runs as often as it is recorded, plus at most once more for each attempt the
// late turn had under way when its write went out (its result can no longer be recorded), and the invariants hold.
import type { HistoryStore } from "spindle/store";
import type { FaultStore } from "spindle/testing";
import { FaultStore as Faults, VirtualClock } from "spindle/testing";
import { baseline } from "../baselines.js";
import { drive } from "../driver.js";
import { checkInvariants } from "../invariants.js";
import { EffectLedger } from "../ledger.js";
import type { ScenarioResult } from "../report.js";
import { addViolations, bump, describeError, newResult } from "../report.js";
import type { Subject } from "../subjects.js";
import type { StoreTarget } from "../targets.js";

/** How late the late write answers: five leases (the reliability engines' lease is one virtual second). */
const LATE_MS = 5_000;
const OUTCOMES = new Set(["StepCompleted", "StepFailed"]);

/** Options of the expired-lease scenario. */
export interface ExpiredLeaseOptions {
  subjects: readonly Subject[];
  /** Late writes tried per subject: the 1st, 2nd, ... step-outcome write, up to this many. */
  maxWrites: number;
}

/** Makes one step-outcome write per run answer late, with and without a takeover meanwhile. */
export async function expiredLeases(target: StoreTarget, options: ExpiredLeaseOptions): Promise<ScenarioResult> {
  const result = newResult("write answered after its lease ended", target.name, `step-outcome writes 1..${options.maxWrites} per subject`);
  result.note =
    "The k-th write recording a step outcome is accepted, then answers five leases late; with a takeover, other " +
    "processes drive the execution to its end meanwhile. Checked: the late turn starts no step after a takeover; I1 to " +
    "I5, where the only extra step runs allowed are the attempts the late turn had under way when its write went out.";
  for (const subject of options.subjects) {
    const expected = await baseline(target, subject, result);
    for (const takeover of [true, false]) {
      for (let k = 1; k <= options.maxWrites; k++) {
        const fired = await lateRun(target, subject, result, { k, takeover, expected });
        if (!fired) break; // the subject records fewer step outcomes than k
      }
    }
  }
  result.figures["subjects"] = options.subjects.length;
  return result;
}

/** Per-process bookkeeping of the late run. */
interface Late {
  /** Set once the k-th step-outcome write was made late. */
  fired: boolean;
  /** Step-outcome writes seen so far, across processes. */
  writes: number;
}

async function lateRun(
  target: StoreTarget,
  subject: Subject,
  result: ScenarioResult,
  run: { k: number; takeover: boolean; expected: Awaited<ReturnType<typeof baseline>> },
): Promise<boolean> {
  const faults = new Faults(target.make());
  const clock = new VirtualClock();
  const ledger = new EffectLedger();
  const id = target.id(`late-${subject.name.replace(/\W+/g, "-")}`);
  const prepared = subject.setup();
  const late: Late = { fired: false, writes: 0 };
  let cutOff = 0;
  let startedAfterLate = 0;
  const takeoverProblems: unknown[] = [];

  /** A process whose k-th step-outcome write (counted across processes) answers late. */
  const process = (spawned: FaultStore) => {
    let started = 0;
    let recorded = 0;
    let answeredLate = false;
    const processLedger = Object.create(ledger) as EffectLedger;
    processLedger.count = (name: string) => {
      ledger.count(name);
      started++;
      if (answeredLate) startedAfterLate++;
    };
    const store = Object.create(spawned) as HistoryStore;
    store.append = async (executionId, request) => {
      const record = await spawned.append(executionId, request);
      const outcomes = request.events.filter((event) => OUTCOMES.has(event.type)).length;
      recorded += outcomes;
      if (outcomes > 0 && !late.fired && ++late.writes === run.k) {
        late.fired = true;
        cutOff = started - recorded; // attempts under way in this process whose outcome it can no longer record
        clock.set(clock.now() + LATE_MS);
        if (run.takeover) {
          const other = await drive({ subject, faults, id, clock, ledger, prepared });
          takeoverProblems.push(...other.unexpected);
        }
        answeredLate = true;
      }
      return record;
    };
    return { store, ledger: processLedger };
  };

  const driven = await drive({ subject, faults, id, clock, ledger, prepared, process });
  const where = `${subject.name} on ${target.name}, step-outcome write ${run.k} late, ${run.takeover ? "taken over" : "no takeover"}`;
  if (!late.fired) return false;
  const report = await checkInvariants({
    faults,
    ledger,
    rootId: id,
    expected: run.expected,
    faultedTurns: driven.faultedTurns + cutOff,
    ...(subject.project ? { project: subject.project } : {}),
    ...(subject.atMostOnce ? { atMostOnce: new Set(subject.atMostOnce) } : {}),
  });
  for (const error of [...driven.unexpected, ...takeoverProblems]) report.violations.push({ invariant: "I4", message: `unexpected ${describeError(error)}` });
  if (driven.stalled) report.violations.push({ invariant: "I4", message: "still due after the driver's last round" });
  if (run.takeover && startedAfterLate > 0) {
    report.violations.push({ invariant: "I5", message: `the late turn started ${startedAfterLate} steps after its lease ended and another process took over` });
  }
  addViolations(result, where, report.violations);
  result.executions += report.executions.length;
  bump(result, run.takeover ? "late writes, execution taken over meanwhile" : "late writes, nobody took over");
  if (!run.takeover && startedAfterLate > 0) bump(result, "late turns that renewed their lease and went on (nobody took over)");
  bump(result, "step attempts under way in the late turn (may run again)", cutOff);
  bump(result, "step attempts re-run after a late write", Math.max(0, ledger.total() - countRecorded(faults, report.executions)));
  return true;
}

function countRecorded(faults: FaultStore, executions: readonly string[]): number {
  let recorded = 0;
  for (const id of executions) for (const event of faults.accepted(id)) if (OUTCOMES.has(event.type)) recorded++;
  return recorded;
}

// Scenario: a cancel from another process while a turn runs (design rule 3). Engine A runs an execution of sequential
// steps (each takes a few real milliseconds); engine B, on the same store, cancels it — from inside step k (a fixed
// interleaving, for every k), after the end is written, or after a seeded random delay while A's turn runs. A cancel
// is either acknowledged, and then delivered at the operation A is at (the compensation runs once, the execution ends
// cancelled, at most the step already under way when it landed runs after it), or refused with ExecutionClosedError
// because the end was written first: never acknowledged and lost. Every run is checked against the invariants too.
import { CancelledError, ConcurrencyError, ExecutionClosedError, step, workflow } from "spindle";
import type { Engine } from "spindle";
import { CLOSED_STATUSES } from "spindle/store";
import { FaultStore, VirtualClock } from "spindle/testing";
// The test kit's seeded generator is not public; the reliability suite already reaches into src for its hooks.
import { seededRandom } from "../../../src/testing/seeded.js";
import { checkInvariants } from "../invariants.js";
import { EffectLedger, processEngine } from "../ledger.js";
import type { ScenarioResult } from "../report.js";
import { addViolations, bump, describeError, newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";

/** Step starts of each run, by run key, with their real time. */
const starts = new Map<string, { name: string; at: number }[]>();
/** Called inside step i of a run, by run key: where B cancels for the fixed interleavings. */
const insideStep = new Map<string, (i: number) => Promise<void>>();

const mark = (key: string, name: string) => {
  const list = starts.get(key) ?? [];
  list.push({ name, at: performance.now() });
  starts.set(key, list);
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cancellable = workflow("xp-cancellable", async function* (input: { key: string; steps: number; ms: number }) {
  const done: number[] = [];
  try {
    for (let i = 1; i <= input.steps; i++) {
      done.push(
        yield* step(`s${i}`, async () => {
          mark(input.key, `s${i}`);
          await insideStep.get(input.key)?.(i);
          await pause(input.ms);
          return i;
        }),
      );
    }
    return done;
  } catch (error) {
    yield* step("compensate", () => {
      mark(input.key, "compensate");
      return done.length;
    });
    throw error;
  }
});

/** Options of the cross-process cancel scenario. */
export interface CrossCancelOptions {
  /** Runs with a cancel after a seeded random delay. */
  trials: number;
  steps?: number;
  /** Real milliseconds each step takes. */
  stepMs?: number;
  seed?: number;
}

/** Races cancels from engine B against turns of engine A. */
export async function crossCancel(target: StoreTarget, options: CrossCancelOptions): Promise<ScenarioResult> {
  const steps = options.steps ?? 5;
  const ms = options.stepMs ?? 4;
  const result = newResult("cancel from another process during a turn", target.name, `inside each of ${steps} steps, after the end, ${options.trials} random delays`);
  result.note =
    "Engine B cancels while engine A runs a turn of sequential steps: from inside each step, after the end was written, " +
    "and after seeded random delays spread over A's run. Checked: an acknowledged cancel ends the execution cancelled " +
    "(result() rejects with CancelledError), its compensation runs once (none when it landed during the last step, " +
    "with no operation left), at most the step under way starts after it; a refused one is ExecutionClosedError on a " +
    "completed execution; I2 to I5.";
  const random = seededRandom(options.seed ?? 12);
  let maxAfter = 0;
  for (let k = 1; k <= steps + 1; k++) {
    const where = k <= steps ? `cancel inside step ${k}` : "cancel after the end was written";
    const { startedAfter: after } = await trial(target, result, where, { steps, ms }, k <= steps ? { insideStep: k } : { afterEnd: true });
    maxAfter = Math.max(maxAfter, after);
  }
  // How long A's uncancelled run takes on this store: the random delays spread over it and a little past its end.
  // The fastest of three runs: the first one on a store warms its connections up.
  let span = Infinity;
  for (let i = 1; i <= 3; i++) span = Math.min(span, (await trial(target, result, `no cancel (${i})`, { steps, ms }, { never: true })).runMs);
  result.figures["an uncancelled run (ms)"] = Math.round(span);
  for (let t = 1; t <= options.trials; t++) {
    const delay = random() * span * 1.2;
    const { startedAfter: after } = await trial(target, result, `cancel after ${delay.toFixed(1)} ms (trial ${t})`, { steps, ms }, { delayMs: delay });
    maxAfter = Math.max(maxAfter, after);
  }
  result.figures["most steps started after a cancel was acknowledged (1 allowed: the one under way)"] = maxAfter;
  return result;
}

type When = { insideStep: number } | { afterEnd: true } | { delayMs: number } | { never: true };

/** One run; returns how many steps started after B's cancel was acknowledged, and how long A's run took. */
async function trial(
  target: StoreTarget,
  result: ScenarioResult,
  where: string,
  shape: { steps: number; ms: number },
  when: When,
): Promise<{ startedAfter: number; runMs: number }> {
  const faults = new FaultStore(target.make());
  const clock = new VirtualClock();
  const ledger = new EffectLedger();
  const engine = () => processEngine({ store: faults.spawn(), workflows: [cancellable], clock, ledger });
  const a = engine();
  const b = engine();
  const id = target.id("xp-cancel");
  const key = id;
  const problems: string[] = [];
  let acknowledgedAt: number | undefined;
  let began = 0;
  let runMs = 0;
  let refusal: unknown;
  const cancel = async () => {
    try {
      await b.cancel(id, "from another process");
      acknowledgedAt = performance.now();
    } catch (error) {
      refusal = error;
    }
  };
  if ("insideStep" in when) insideStep.set(key, async (i) => (i === when.insideStep ? cancel() : undefined));
  try {
    await a.start(cancellable, { key, ...shape }, { id });
    began = performance.now();
    if ("delayMs" in when) await Promise.all([pause(when.delayMs).then(cancel), runToEnd(a, faults, id, problems)]);
    else {
      await runToEnd(a, faults, id, problems);
      runMs = performance.now() - began;
      if ("afterEnd" in when) await cancel();
    }
    await runToEnd(b, faults, id, problems);
  } finally {
    insideStep.delete(key);
  }
  const record = (await faults.inner.get(id))!;
  const marks = starts.get(key) ?? [];
  starts.delete(key);
  const compensations = marks.filter((m) => m.name === "compensate").length;
  const startedAfter = acknowledgedAt === undefined ? 0 : marks.filter((m) => m.name !== "compensate" && m.at > acknowledgedAt!).length;
  if (acknowledgedAt !== undefined) {
    bump(result, "cancels acknowledged (the execution ended cancelled)");
    if (record.status !== "cancelled") problems.push(`the cancel was acknowledged but the execution ended ${record.status} (lost)`);
    // Compensation runs at the next operation; a cancel that landed during the last step finds none left, and the
    // run ends cancelled without it.
    const allSteps = marks.filter((m) => m.name !== "compensate").length === shape.steps;
    if (compensations > 1 || (compensations === 0 && !allSteps)) problems.push(`the compensation ran ${compensations} times`);
    if (compensations === 0) bump(result, "cancels that landed during the last step (ended cancelled, nothing left to compensate at)");
    if (startedAfter > 1) problems.push(`${startedAfter} steps started after the cancel was acknowledged`);
    if ("insideStep" in when) {
      const ran = marks.map((m) => m.name).join(",");
      const want = [...Array.from({ length: when.insideStep }, (_, i) => `s${i + 1}`), ...(when.insideStep < shape.steps ? ["compensate"] : [])].join(",");
      if (ran !== want) problems.push(`ran ${ran}, expected ${want}`);
    }
  } else if ("never" in when) {
    if (record.status !== "completed") problems.push(`an uncancelled run ended ${record.status}`);
  } else if (refusal instanceof ExecutionClosedError) {
    bump(result, "cancels refused with ExecutionClosedError (the end was written first)");
    if (record.status !== "completed" || compensations !== 0) problems.push(`refused as too late, yet the execution is ${record.status} with ${compensations} compensations`);
    if ("insideStep" in when) problems.push("a cancel sent while a step ran was refused as too late");
  } else {
    problems.push(`cancel threw ${describeError(refusal)}`);
  }
  if (record.status === "cancelled") {
    const answer = await b.result(id).then(() => "a result", (error: unknown) => error);
    if (!(answer instanceof CancelledError)) problems.push(`result() of the cancelled execution gave ${describeError(answer)}`);
  }
  const report = await checkInvariants({ faults, ledger, rootId: id, faultedTurns: 0 });
  addViolations(result, `${where} on ${target.name}`, report.violations);
  for (const problem of problems) result.violations.push(`${where} on ${target.name}: [cancel] ${problem}`);
  result.executions++;
  return { startedAfter, runMs };
}

/** Resumes `id` on `engine` until it ends (a lost race is tried again); other errors are problems. */
async function runToEnd(engine: Engine, faults: FaultStore, id: string, problems: string[]): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const record = await faults.inner.get(id);
    if (!record || CLOSED_STATUSES.has(record.status)) return;
    try {
      await engine.resume(id);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) {
        problems.push(`resume threw ${describeError(error)}`);
        return;
      }
    }
  }
  problems.push("still open after 50 resumes");
}

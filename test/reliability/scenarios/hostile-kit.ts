// The kit of the hostile-input cases: what a case runs on, store snapshots (record, history and inbox count of the
// executions concerned, before and after a call) and their difference in words, the two shapes of a case (a call
// that must be refused with a typed error and nothing stored; a call that may be accepted, after which the workflow
// must behave), and a small driver that resumes executions until they wait.
import type { AnyWorkflow, Engine } from "spindle";
import { ConcurrencyError, SpindleError } from "spindle";
import type { ExecutionRecord, HistoryStore } from "spindle/store";
import { CLOSED_STATUSES } from "spindle/store";
import type { VirtualClock } from "spindle/testing";
import { canonical } from "../invariants.js";
import type { StoreTarget } from "../targets.js";

/** What one case needs: a store of the target, a virtual clock, engines on both, and unique ids. */
export interface HostileEnv {
  target: StoreTarget;
  store: HistoryStore;
  clock: VirtualClock;
  /** A new engine (external mode) on the env's store with the fixture workflows and `extra`. */
  engine(extra?: readonly AnyWorkflow[]): Engine;
  id(label: string): string;
}

/** What a case saw. */
export interface Observation {
  answer: string;
  stored: string;
  holds: boolean;
}

/** One hostile input. */
export interface HostileCase {
  input: string;
  call: string;
  expected: string;
  run(env: HostileEnv): Promise<Observation>;
}

// ---- answers --------------------------------------------------------------------------------------------------------

/** True for a Spindle error with a literal name and a code. */
export function isTyped(error: unknown): error is SpindleError {
  return error instanceof SpindleError && typeof error.name === "string" && error.name !== "" && typeof error.code === "string";
}

/** How an answer reads in the table: `ValidationError (VALIDATION)`, or what was thrown instead. */
export function answerOf(error: unknown): string {
  if (isTyped(error)) return `${error.name} (${error.code})`;
  if (error instanceof Error) return `untyped ${error.name}: ${error.message.slice(0, 100)}`;
  return `non-error thrown: ${String(error).slice(0, 60)}`;
}

/** The error `run` throws, or undefined when it resolves. */
export async function attempt(run: () => unknown): Promise<{ error?: unknown; value?: unknown; threw: boolean }> {
  try {
    return { value: await run(), threw: false };
  } catch (error) {
    return { error, threw: true };
  }
}

// ---- store snapshots ------------------------------------------------------------------------------------------------

interface State {
  record?: ExecutionRecord;
  events: unknown[];
  inbox: number;
  /** Set when the store could not be read for this id. */
  unreadable?: string;
}

/** Record, history and inbox of each execution, by label. */
export async function snapshot(store: HistoryStore, ids: Record<string, string>): Promise<Map<string, State>> {
  const states = new Map<string, State>();
  for (const [label, id] of Object.entries(ids)) {
    try {
      const page = await store.load(id);
      if (!page) {
        states.set(label, { events: [], inbox: 0 });
        continue;
      }
      const events = [...page.events];
      let next = page;
      while (next.more) {
        next = (await store.load(id, { afterSeq: events.length }))!;
        events.push(...next.events);
      }
      states.set(label, { record: page.record, events, inbox: page.inbox.length });
    } catch (error) {
      states.set(label, { events: [], inbox: 0, unreadable: answerOf(error) });
    }
  }
  return states;
}

/** What changed between two snapshots, in words: "nothing" when nothing did. */
export function changes(before: Map<string, State>, after: Map<string, State>, bookkeeping: readonly string[] = []): string {
  const found: string[] = [];
  for (const [label, was] of before) {
    const now = after.get(label)!;
    const what: string[] = [];
    if (!was.record && now.record) what.push(`created (${now.record.status})`);
    else if (was.record && !now.record) what.push("gone");
    else if (was.record && now.record) {
      if (was.record.status !== now.record.status) what.push(`${was.record.status} → ${now.record.status}`);
      if (now.events.length !== was.events.length) what.push(`history ${signed(now.events.length - was.events.length)} events`);
      else if (canonical(now.events) !== canonical(was.events)) what.push("history rewritten");
      if (now.inbox !== was.inbox) what.push(`inbox ${signed(now.inbox - was.inbox)}`);
      const differ = what.length === 0 ? recordDiff(was.record, now.record).filter((key) => !bookkeeping.includes(key)) : [];
      if (differ.length > 0) what.push(`record changed (${differ.join(", ")})`);
    }
    if (was.unreadable !== now.unreadable && now.unreadable) what.push(`now unreadable: ${now.unreadable}`);
    if (what.length > 0) found.push(`${label}: ${what.join(", ")}`);
  }
  return found.length === 0 ? "nothing" : found.join("; ");
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function recordDiff(was: ExecutionRecord, now: ExecutionRecord): string[] {
  const keys = new Set([...Object.keys(was), ...Object.keys(now)]);
  return [...keys].filter((key) => canonical((was as never)[key]) !== canonical((now as never)[key]));
}

// ---- the two shapes of a case ---------------------------------------------------------------------------------------

/**
 * A call that must be refused: holds when it throws a typed error of one of the `accept`ed names and the store kept
 * nothing; `afterwards` may check more (a token still valid) and returns a problem, or undefined. `bookkeeping` names
 * record fields a refused turn may update without storing anything of the input (a failed turn's count and next try).
 */
export async function refused(
  env: HostileEnv,
  spec: {
    ids: Record<string, string>;
    call: () => unknown;
    accept: readonly string[];
    afterwards?: () => Promise<string | undefined>;
    bookkeeping?: readonly (keyof ExecutionRecord)[];
  },
): Promise<Observation> {
  const before = await snapshot(env.store, spec.ids);
  const answer = await attempt(spec.call);
  const stored = changes(before, await snapshot(env.store, spec.ids), spec.bookkeeping);
  const problem = spec.afterwards ? await spec.afterwards() : undefined;
  const text = answer.threw ? answerOf(answer.error) : `accepted (${JSON.stringify(answer.value)?.slice(0, 80)})`;
  const typedAsExpected = answer.threw && isTyped(answer.error) && spec.accept.includes(answer.error.name);
  return { answer: problem ? `${text}; then ${problem}` : text, stored, holds: typedAsExpected && stored === "nothing" && !problem };
}

/**
 * A call that may be accepted, after which the workflow must behave (`verify` returns a problem, or undefined); or
 * refused with a typed error of a `mayRefuse` name and nothing stored.
 */
export async function behaves(
  env: HostileEnv,
  spec: {
    ids: Record<string, string>;
    call: () => unknown;
    verify: (value: unknown) => Promise<{ problem?: string; note: string }>;
    mayRefuse?: readonly string[];
  },
): Promise<Observation> {
  const before = await snapshot(env.store, spec.ids);
  const answer = await attempt(spec.call);
  const stored = changes(before, await snapshot(env.store, spec.ids));
  if (answer.threw) {
    const ok = isTyped(answer.error) && (spec.mayRefuse ?? []).includes(answer.error.name) && stored === "nothing";
    return { answer: answerOf(answer.error), stored, holds: ok };
  }
  const { problem, note } = await spec.verify(answer.value);
  return { answer: problem ? `accepted; ${problem}` : `accepted; ${note}`, stored, holds: !problem };
}

// ---- driving executions ---------------------------------------------------------------------------------------------

/**
 * Resumes the executions (and their children) while they have something to do; with `advance`, moves the clock to
 * the next wake-up when nothing else is left (retries). Returns the errors resumes threw, other than lost races.
 */
export async function settle(env: HostileEnv, engine: Engine, ids: readonly string[], options: { advance?: boolean } = {}): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (let round = 0; round < 200; round++) {
    let moved = false;
    const open: ExecutionRecord[] = [];
    for (const id of await withChildren(env.store, ids)) {
      const record = await env.store.get(id);
      if (!record || CLOSED_STATUSES.has(record.status)) continue;
      open.push(record);
      const due = record.status === "running" || record.inboxSeq > record.inboxSeen || (record.wakeAt !== undefined && record.wakeAt <= env.clock.now());
      if (!due) continue;
      try {
        await engine.resume(id);
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) errors.push(error);
      }
      const after = await env.store.get(id);
      if (after && (after.version !== record.version || after.status !== record.status || after.inboxSeen !== record.inboxSeen)) moved = true;
    }
    if (errors.length > 0) return errors;
    if (moved) continue;
    if (!options.advance) return errors;
    const wakes = open.map((record) => record.wakeAt ?? Infinity).filter((at) => at > env.clock.now());
    const next = Math.min(...wakes);
    if (next === Infinity) return errors;
    env.clock.set(next);
  }
  return errors;
}

async function withChildren(store: HistoryStore, ids: readonly string[]): Promise<string[]> {
  const found = [...ids];
  for (let i = 0; i < found.length; i++) {
    const page = await store.load(found[i]!).catch(() => undefined);
    for (const event of page?.events ?? []) {
      const childId = (event as { type?: string; childId?: string }).type === "ChildStarted" ? (event as { childId: string }).childId : undefined;
      if (childId && !found.includes(childId)) found.push(childId);
    }
  }
  return found;
}

/** Status, result (parsed) and error name of an execution, for checks. */
export async function outcome(env: HostileEnv, id: string): Promise<{ status?: string; result?: unknown; error?: string }> {
  const record = await env.store.get(id);
  if (!record) return {};
  return {
    status: record.status,
    ...(record.result !== undefined ? { result: JSON.parse(record.result) as unknown } : {}),
    ...(record.error ? { error: record.error.name } : {}),
  };
}

/** Starts `wf` and runs it until it waits; returns its id. */
export async function started(env: HostileEnv, wf: AnyWorkflow, input: unknown, label: string, engine = env.engine()): Promise<string> {
  const id = env.id(label);
  await engine.start(wf as never, input as never, { id });
  const errors = await settle(env, engine, [id]);
  if (errors.length > 0) throw errors[0];
  return id;
}

/** The token of the callback an execution waits for. */
export async function tokenOf(env: HostileEnv, id: string): Promise<string> {
  const page = await env.store.load(id);
  const created = page?.events.find((event) => (event as { type: string }).type === "CallbackCreated") as { token: string } | undefined;
  if (!created) throw new Error(`execution '${id}' created no callback`);
  return created.token;
}

/** The id of the child an execution started. */
export async function childOf(env: HostileEnv, id: string): Promise<string> {
  const page = await env.store.load(id);
  const started = page?.events.find((event) => (event as { type: string }).type === "ChildStarted") as { childId: string } | undefined;
  if (!started) throw new Error(`execution '${id}' started no child`);
  return started.childId;
}

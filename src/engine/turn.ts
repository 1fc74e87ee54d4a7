// One turn of one execution: load the record, history and inbox; replay (or continue a warm generator); execute what
// is new until the workflow completes or waits; append the new events at the version loaded. Each step's outcome is
// appended as soon as the step completes; a lost race surfaces as ConcurrencyError and nothing the turn ran after
// its last successful append is recorded.
import { decodeValue, encodeValue } from "../core/codec.js";
import { toErrorRecord } from "../core/error-record.js";
import type { HistoryEvent, NewEvent } from "../core/history.js";
import { checkHistory, EXECUTION_OP } from "../core/history.js";
import type { Decision, Environment, InboxItem, WaitInfo } from "../core/replayer.js";
import { Replayer } from "../core/replayer.js";
import type { Envelope, StepCommand, StepContext } from "../core/yieldable.js";
import {
  CancelledError,
  ConcurrencyError,
  ExecutionNotFoundError,
  HistoryCorruptedError,
  StepTimeoutError,
  ValidationError,
} from "../errors.js";
import type { ExecutionRecord, ExecutionStatus, HistoryStore, LoadedPage, RecordUpdate } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import { workflowContext } from "../workflow.js";
import type { Parked, WarmCache } from "./cache.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./log.js";
import { scopedLogger } from "./log.js";

/** A step function as the engine calls it. */
export type StepFunction = (context: StepContext) => unknown;

/** What a turn needs from the engine. */
export interface TurnDeps {
  store: HistoryStore;
  clock: Clock;
  env: Environment;
  logger: Logger;
  cache: WarmCache<Session>;
  /** @throws WorkflowNotFoundError */
  workflow(name: string, executionId: string): AnyWorkflow;
  /** Replaces a step's function (the test kit's mocks). */
  stepOverride?: (name: string) => StepFunction | undefined;
  /** How long a running turn may go without writing before others may take the execution over. */
  staleTurnMs: number;
  historyWarningThreshold: number;
  /** True (once) when inbox items arrived for this execution while the turn ran. */
  takeInboxSignal(id: string): boolean;
  /** Counts step attempts with a timeout that are running now (the test kit lets time skip to their timeout). */
  timedSteps: { running: number };
}

/** A workflow generator with its replayer: what the warm cache keeps between turns. */
export interface Session extends Parked {
  executionId: string;
  workflow: AnyWorkflow;
  replayer: Replayer;
  generator: AsyncGenerator<Envelope, unknown, unknown>;
  /** The generator has run to its first yield (or further). */
  started: boolean;
  warned: boolean;
}

/** What a turn did. */
export interface TurnResult {
  executionId: string;
  status: ExecutionStatus;
  /** Version (sequence number of the last event) after the turn. */
  version: number;
  /** Events this turn appended. */
  appended: number;
  /** False when a warm generator continued without replaying the history. */
  replayed: boolean;
  wakeAt?: number;
  waitingFor: WaitInfo[];
}

/**
 * Runs one turn of an execution.
 * @throws ExecutionNotFoundError, HistoryCorruptedError, NonDeterminismError, WorkflowNotFoundError,
 * ConcurrencyError, or a store error. In every case nothing after the last successful append was recorded.
 */
export async function runTurn(deps: TurnDeps, id: string): Promise<TurnResult> {
  const parked = deps.cache.take(id);
  let page = await deps.store.load(id, parked ? { afterSeq: parked.version } : {});
  if (!page) throw notFound(id);
  const record = page.record;
  if (CLOSED_STATUSES.has(record.status)) return resultOf(record, 0, false);
  let session: Session;
  if (parked && parked.runId === record.runId && parked.version === record.version && page.events.length === 0) {
    session = parked;
  } else {
    if (parked) page = (await deps.store.load(id)) ?? page;
    session = openSession(deps, id, page.record, await loadHistory(deps.store, id, page));
  }
  return new Turn(deps, session, page.record, page.inbox).run();
}

/**
 * Loads and validates every event of the current run, following pages.
 * @throws HistoryCorruptedError when events are missing, malformed or out of sequence.
 */
export async function loadHistory(store: HistoryStore, id: string, first: LoadedPage): Promise<HistoryEvent[]> {
  const raw: unknown[] = first.events;
  const version = first.record.version;
  let more = first.more;
  while (more && raw.length < version) {
    const page = await store.load(id, { afterSeq: raw.length });
    if (!page) throw notFound(id);
    for (const event of page.events) raw.push(event);
    more = page.more && page.events.length > 0;
  }
  if (raw.length > version) raw.length = version;
  const events = checkHistory(id, raw);
  if (events.length < version) {
    throw new HistoryCorruptedError(
      `History of execution '${id}' is corrupted: the record is at version ${version} but only ${events.length} ` +
        `events are stored. Nothing was overwritten; restore the missing events from a backup or terminate it.`,
      { executionId: id },
    );
  }
  const started = events[0];
  if (started?.type === "ExecutionStarted" && started.runId !== first.record.runId) {
    throw new HistoryCorruptedError(
      `History of execution '${id}' is corrupted: its events belong to run ${started.runId} but the record is on ` +
        `run ${first.record.runId}. Nothing was overwritten; inspect the stored items.`,
      { executionId: id },
    );
  }
  return events;
}

function openSession(deps: TurnDeps, id: string, record: ExecutionRecord, events: HistoryEvent[]): Session {
  const workflow = deps.workflow(record.workflow, id);
  const started = events[0];
  const input = started?.type === "ExecutionStarted" ? decodeValue(started.input) : undefined;
  const replayer = new Replayer(id, events, deps.env, deps.store.limits.maxValueBytes);
  const log = scopedLogger(deps.logger, { executionId: id, workflow: workflow.name }, () => replayer.replaying);
  const context = workflowContext({ executionId: id, runId: record.runId, workflowName: workflow.name, log });
  const generator = workflow.body(input, context);
  if (typeof generator?.next !== "function" || typeof generator.throw !== "function") {
    throw new ValidationError(
      `Workflow '${workflow.name}' (execution '${id}'): the body did not return a generator. Declare it as ` +
        `'async function* (input, ctx) { ... }'.`,
      { executionId: id },
    );
  }
  return { executionId: id, runId: record.runId, version: record.version, workflow, replayer, generator, started: false, warned: false };
}

class Turn {
  private version: number;
  private inboxSeen: number;
  private appended = 0;
  private record: ExecutionRecord;
  private readonly replayed: boolean;

  constructor(
    private readonly deps: TurnDeps,
    private readonly session: Session,
    record: ExecutionRecord,
    inbox: InboxItem[],
  ) {
    this.record = record;
    this.version = record.version;
    this.inboxSeen = record.inboxSeq;
    this.replayed = !session.started;
    session.replayer.setInbox(inbox);
  }

  private get id(): string {
    return this.session.executionId;
  }

  async run(): Promise<TurnResult> {
    const { replayer, generator } = this.session;
    let decision: Decision | undefined = this.session.started ? replayer.redecide() : undefined;
    for (;;) {
      if (decision === undefined || decision.type === "resume" || decision.type === "throw") {
        let next: IteratorResult<Envelope, unknown>;
        try {
          if (decision === undefined) next = await generator.next();
          else if (decision.type === "resume") next = await generator.next(decision.value);
          else next = await generator.throw(decision.error);
        } catch (error) {
          return this.end({ ok: false, error });
        }
        this.session.started = true;
        if (next.done) return this.end({ ok: true, value: next.value });
        if (this.deps.takeInboxSignal(this.id)) await this.reloadInbox();
        decision = replayer.next(next.value);
      } else if (decision.type === "run") {
        decision = await this.runStep(decision.attempt, decision.flushFirst);
      } else {
        const until = decision.wait.until;
        const signalled = this.deps.takeInboxSignal(this.id);
        if (signalled) await this.reloadInbox();
        if (signalled || (until !== undefined && until <= this.deps.clock.now())) {
          decision = replayer.redecide();
          if (decision.type !== "wait" || decision.wait.until !== until) continue;
        }
        return this.suspend(decision.wait);
      }
    }
  }

  private async runStep(attempt: number, flushFirst: boolean): Promise<Decision> {
    const { replayer } = this.session;
    const command = replayer.currentCommand as StepCommand;
    if (flushFirst) await this.flush("running", [], this.deps.clock.now() + this.deps.staleTurnMs);
    const fn = this.deps.stepOverride?.(command.name) ?? command.run;
    let next: Decision;
    try {
      const context = new AttemptContext(attempt, this.id, this.session.runId, replayer.position!.opId);
      let value = command.timeoutMs === undefined ? fn(context) : invokeWithTimeout(fn, context, command.timeoutMs, this.deps, replayer);
      if (isThenable(value)) value = await value;
      if (command.schema) {
        const parsed = command.schema.safeParse(value);
        if (!parsed.success) {
          throw new ValidationError(
            `Execution '${this.id}': the result of ${replayer.describeCurrent()} does not match the step's schema: ` +
              `${JSON.stringify(parsed.error.issues)}. Fix the step or its schema.`,
            { executionId: this.id, operation: replayer.describeCurrent(), issues: parsed.error.issues },
          );
        }
        value = parsed.data;
      }
      next = replayer.stepSucceeded(attempt, encodeValue(value, replayer.resultSite));
    } catch (error) {
      next = replayer.stepFailed(attempt, toErrorRecord(error));
    }
    if (next.type === "resume" || next.type === "throw") {
      await this.flush("running", [], this.deps.clock.now() + this.deps.staleTurnMs);
    }
    return next;
  }

  private async suspend(wait: WaitInfo): Promise<TurnResult> {
    const wakeAt = wait.until ?? null;
    const record = this.record;
    const unchanged =
      !this.session.replayer.hasBuffered &&
      record.status === "suspended" &&
      record.inboxSeen === this.inboxSeen &&
      (record.wakeAt ?? null) === wakeAt &&
      sameWait(record.waitingFor[0], wait);
    if (!unchanged) await this.flush("suspended", [wait], wakeAt);
    this.session.version = this.version;
    this.deps.cache.put(this.id, this.session);
    return resultOf(this.record, this.appended, this.replayed);
  }

  private async end(outcome: { ok: true; value: unknown } | { ok: false; error: unknown }): Promise<TurnResult> {
    const { replayer, workflow } = this.session;
    const tag = { opId: EXECUTION_OP, kind: "execution", name: workflow.name, at: this.deps.clock.now() };
    let event: NewEvent;
    let status: ExecutionStatus;
    let extra: Pick<RecordUpdate, "result" | "error"> = {};
    if (outcome.ok) {
      let result: string | undefined;
      try {
        result = encodeValue(this.checkOutput(outcome.value), {
          executionId: this.id,
          operation: `the result of workflow '${workflow.name}'`,
          limit: this.deps.store.limits.maxValueBytes,
        });
      } catch (error) {
        return this.end({ ok: false, error });
      }
      event = { type: "ExecutionCompleted", ...tag, ...(result === undefined ? {} : { result }) };
      status = "completed";
      if (result !== undefined) extra = { result };
    } else if (outcome.error instanceof CancelledError && replayer.cancelWasDelivered) {
      const reason = outcome.error.reason;
      event = { type: "ExecutionCancelled", ...tag, ...(reason === undefined ? {} : { reason }) };
      status = "cancelled";
    } else {
      const error = toErrorRecord(outcome.error);
      event = { type: "ExecutionFailed", ...tag, error };
      status = "failed";
      extra = { error };
    }
    replayer.finish(event);
    await this.flush(status, [], null, extra);
    this.deps.cache.drop(this.id);
    return resultOf(this.record, this.appended, this.replayed);
  }

  private checkOutput(value: unknown): unknown {
    const schema = this.session.workflow.outputSchema;
    if (!schema) return value;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new ValidationError(
      `Execution '${this.id}': the result of workflow '${this.session.workflow.name}' does not match its output ` +
        `schema: ${JSON.stringify(parsed.error.issues)}. Return a value that matches, or change the schema.`,
      { executionId: this.id, operation: "workflow result", issues: parsed.error.issues },
    );
  }

  /** Re-reads the inbox after the engine signalled new items. */
  private async reloadInbox(): Promise<void> {
    const page = await this.deps.store.load(this.id, { afterSeq: this.version, limit: 1 });
    if (!page) throw notFound(this.id);
    if (page.record.version !== this.version || page.record.runId !== this.session.runId) {
      throw new ConcurrencyError(
        `Execution '${this.id}' moved on to version ${page.record.version} while this turn was at ${this.version}; ` +
          `this turn stops and a new one continues from the stored history.`,
        { executionId: this.id },
      );
    }
    this.record = page.record;
    this.inboxSeen = page.record.inboxSeq;
    this.session.replayer.setInbox(page.inbox);
  }

  private async flush(
    status: ExecutionStatus,
    waitingFor: WaitInfo[],
    wakeAt: number | null,
    extra: Pick<RecordUpdate, "result" | "error"> = {},
  ): Promise<void> {
    const { replayer } = this.session;
    const { events, consumed } = replayer.takeBuffer();
    const update: RecordUpdate = { status, waitingFor, wakeAt, inboxSeen: this.inboxSeen, updatedAt: this.deps.clock.now() };
    if (replayer.customStatus !== undefined) update.customStatus = replayer.customStatus;
    if (extra.result !== undefined) update.result = extra.result;
    if (extra.error !== undefined) update.error = extra.error;
    this.record = await this.deps.store.append(this.id, {
      runId: this.session.runId,
      expectedVersion: this.version,
      events,
      update,
      consumeInbox: consumed,
    });
    this.version = this.record.version;
    this.appended += events.length;
    if (!this.session.warned && this.version >= this.deps.historyWarningThreshold) {
      this.session.warned = true;
      this.deps.logger.warn(
        `Execution '${this.id}' has ${this.version} events in its history. Long histories slow replay; ` +
          `end the run with continueAsNew to start a fresh history.`,
        { executionId: this.id, workflow: this.session.workflow.name, events: this.version },
      );
    }
  }
}

/** What a step attempt receives. A class, so the hot path allocates one small object and no closures. */
class AttemptContext implements StepContext {
  private controller: AbortController | undefined;

  constructor(
    readonly attempt: number,
    private readonly executionId: string,
    private readonly runId: string,
    private readonly opId: string,
  ) {}

  get idempotencyKey(): string {
    return `${this.executionId}:${this.runId}:${this.opId}`;
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  get abortController(): AbortController {
    return (this.controller ??= new AbortController());
  }
}

/** Calls a step function, enforcing its timeout with the engine's clock: the signal aborts and the attempt fails. */
function invokeWithTimeout(
  fn: StepFunction,
  context: AttemptContext,
  timeoutMs: number,
  deps: Pick<TurnDeps, "clock" | "timedSteps">,
  replayer: Replayer,
): Promise<unknown> {
  const { clock, timedSteps } = deps;
  timedSteps.running++;
  return new Promise((resolve, reject) => {
    let settled = false;
    let stopTimer: (() => void) | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      timedSteps.running--;
      stopTimer?.();
      return true;
    };
    stopTimer = clock.setTimer(clock.now() + timeoutMs, () => {
      if (!settle()) return;
      const operation = replayer.describeCurrent();
      const error = new StepTimeoutError(
        `Execution '${replayer.executionId}': attempt ${context.attempt} of ${operation} ran past its timeout of ` +
          `${timeoutMs} ms and was aborted. Raise the timeout or make the step faster.`,
        { executionId: replayer.executionId, operation },
      );
      context.abortController.abort(error);
      reject(error);
    });
    if (settled) return;
    new Promise((run) => run(fn(context))).then(
      (value) => settle() && resolve(value),
      (error: unknown) => settle() && reject(error),
    );
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  return typeof (value as { then?: unknown }).then === "function";
}

function sameWait(a: WaitInfo | undefined, b: WaitInfo): boolean {
  return a !== undefined && a.opId === b.opId && a.kind === b.kind && a.name === b.name && a.until === b.until;
}

function resultOf(record: ExecutionRecord, appended: number, replayed: boolean): TurnResult {
  const result: TurnResult = {
    executionId: record.id,
    status: record.status,
    version: record.version,
    appended,
    replayed,
    waitingFor: record.waitingFor,
  };
  if (record.wakeAt !== undefined) result.wakeAt = record.wakeAt;
  return result;
}

/** The error for an unknown execution id. */
export function notFound(id: string): ExecutionNotFoundError {
  return new ExecutionNotFoundError(
    `Execution '${id}' does not exist. Check the id, or start it with engine.start(workflow, input, { id }).`,
    { executionId: id },
  );
}

// The operations a Lambda invocation performs, shared by direct invocations, HTTP routes and SQS messages. Each write
// (start, an event, a callback, a cancel, a redrive) is followed by a turn of the execution in the same invocation, so the
// workflow moves on at once instead of at the next schedule tick; the turn stops at the invocation's budget. A write
// delivered twice (a retry, a redelivery) is answered as a duplicate and runs no turn.
import type { Engine, ExecutionDescription, ExecutionStatus, RedriveResult, ResumeOptions, TurnResult } from "spindle";
import { CallbackNotFoundError } from "spindle";
import type { DirectInvocation } from "./events.js";
import type { CallbackOutcome } from "./idempotency.js";
import { settledAlike } from "./idempotency.js";
import type { ErrorBody } from "./outcomes.js";
import { errorBody } from "./outcomes.js";

/** How long a turn may run in this invocation, and whether it may wait out a timer due soon. */
export type Budget = ResumeOptions;

/** The answer to a direct invocation (and the body of an HTTP response). */
export type ActionResult =
  | ({ executionId: string; created: boolean } & TurnAfterWrite)
  | ({ executionId: string; duplicate: boolean } & TurnAfterWrite)
  | ({ executionId: string } & TurnAfterWrite)
  | (Omit<RedriveResult, "status"> & TurnAfterWrite)
  | { turn: TurnResult }
  | { execution: ExecutionDescription }
  | { resumed: number; busy: number; left: number; failed: number }
  | { skipped: string };

/**
 * What the turn after a write did: the execution's status after it, or why it failed (the write stands either way, and
 * the execution is due for the schedule). Neither when the handler does not run turns.
 */
export interface TurnAfterWrite {
  status?: ExecutionStatus;
  turnFailed?: ErrorBody;
}

/** Runs the actions against one engine. */
export class Actions {
  constructor(
    private readonly engine: Engine,
    private readonly runTurns: boolean,
    private readonly drain: { limit: number | undefined; pageSize: number; concurrency: number },
  ) {}

  /** Performs one direct invocation within `budget`. */
  async perform(action: DirectInvocation, budget: Budget): Promise<ActionResult> {
    switch (action.action) {
      case "start":
        return this.start(action.workflow, action.input, action.id, budget);
      case "sendEvent":
        return this.sendEvent(action.executionId, action.name, action.payload, action.idempotencyKey, budget);
      case "completeCallback":
        return this.settleCallback(action.token, { value: action.value }, budget);
      case "failCallback":
        return this.settleCallback(action.token, { error: action.error }, budget);
      case "resume":
        return { turn: await this.engine.resume(action.executionId, budget) };
      case "describe":
        return { execution: await this.engine.describe(action.executionId) };
      case "cancel":
        await this.engine.cancel(action.executionId, action.reason);
        return this.afterWrite(action.executionId, budget);
      case "redrive":
        return this.redrive(action.executionId, budget);
      case "resumeDue":
        return this.resumeDue(budget, action.limit);
    }
  }

  async start(workflow: string, input: unknown, id: string | undefined, budget: Budget): Promise<ActionResult> {
    const run = await this.engine.start(workflow, input as never, id === undefined ? {} : { id });
    const turn = run.created ? await this.turn(run.id, budget) : { status: (await this.engine.describe(run.id)).status };
    return { executionId: run.id, created: run.created, ...turn };
  }

  async sendEvent(
    executionId: string,
    name: string,
    payload: unknown,
    idempotencyKey: string | undefined,
    budget: Budget,
  ): Promise<ActionResult> {
    const sent = await this.engine.sendEvent(executionId, name, payload, idempotencyKey === undefined ? {} : { idempotencyKey });
    const turn = sent.duplicate ? {} : await this.turn(executionId, budget);
    return { executionId, duplicate: sent.duplicate, ...turn };
  }

  /**
   * Completes or fails a callback. The token is one-time, so a second delivery of the same completion (a retry, an SQS
   * redelivery) finds it used: when the history shows the token taken by this very outcome, that is answered as
   * `duplicate: true` (nothing stored, no turn) instead of CallbackNotFoundError. A token used by another outcome,
   * expired or unknown is still refused.
   */
  private async settleCallback(token: string, outcome: CallbackOutcome, budget: Budget): Promise<ActionResult> {
    let executionId: string;
    try {
      const settled = "value" in outcome ? this.engine.completeCallback(token, outcome.value) : this.engine.failCallback(token, outcome.error);
      executionId = (await settled).executionId;
    } catch (error) {
      const known = error instanceof CallbackNotFoundError ? error.executionId : undefined;
      if (known !== undefined && (await settledAlike(this.engine, known, token, outcome))) return { executionId: known, duplicate: true };
      throw error;
    }
    return { executionId, duplicate: false, ...(await this.turn(executionId, budget)) };
  }

  /**
   * Puts a stuck or failed execution back to work (`engine.redrive`) and runs its turn. When another redrive already
   * had (`redriven: false`), nothing was written here and no turn runs.
   */
  private async redrive(executionId: string, budget: Budget): Promise<ActionResult> {
    const { status, ...redrive } = await this.engine.redrive(executionId);
    const turn = redrive.redriven ? await this.turn(executionId, budget) : {};
    return { ...redrive, status, ...turn };
  }

  /** A scheduled tick: due executions, oldest first, page after page, until none is left, the limit or the deadline. */
  async resumeDue(budget: Budget, limit = this.drain.limit): Promise<{ resumed: number; busy: number; left: number; failed: number }> {
    const { pageSize, concurrency } = this.drain;
    const { deadline, writeDeadline } = budget;
    const options = {
      pageSize,
      concurrency,
      ...(limit === undefined ? {} : { limit }),
      ...(deadline === undefined ? {} : { deadline }),
      ...(writeDeadline === undefined ? {} : { writeDeadline }),
    };
    const result = await this.engine.resumeDue(options);
    return { resumed: result.resumed, busy: result.busy, left: result.left, failed: result.failed.length };
  }

  /** After a write: a turn of the execution, when this handler runs turns. */
  private async afterWrite(executionId: string, budget: Budget): Promise<ActionResult> {
    return { executionId, ...(await this.turn(executionId, budget)) };
  }

  /**
   * The write before it is stored whatever the turn does: a failed turn (logged by the turn log) is reported, not
   * thrown, or a retry would repeat the write. The execution is left due, so the schedule picks it up.
   */
  private async turn(executionId: string, budget: Budget): Promise<TurnAfterWrite> {
    if (!this.runTurns) return {};
    try {
      return { status: (await this.engine.resume(executionId, budget)).status };
    } catch (error) {
      return { turnFailed: errorBody(error, undefined) };
    }
  }
}

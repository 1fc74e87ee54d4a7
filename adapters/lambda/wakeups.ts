// Near wake-ups: when a turn leaves its execution waiting for a time sooner than the next schedule tick (or runs out
// of time with work left), the handler asks the stack to wake it then, through the `scheduleWakeup` option (an SQS
// message with a delay, an EventBridge Scheduler one-time schedule). The calls start as the turns report and are
// awaited before the invocation ends, each bounded; a failure is logged and counted, and the tick still wakes it.
import type { TurnReport } from "spindle";
import { METRIC } from "spindle";
import type { Wakeup } from "./options.js";
import { errorFields } from "./outcomes.js";
import type { InvocationTelemetry, Telemetry } from "./telemetry.js";

/** The wake-up calls of one invocation. */
export interface PendingWakeups {
  asked: Set<string>;
  calls: Promise<void>[];
}

/** Asks for near wake-ups and waits for the calls. */
export class Wakeups {
  constructor(
    private readonly schedule: ((wakeup: Wakeup) => Promise<unknown> | unknown) | undefined,
    private readonly tickPeriodMs: number,
    private readonly timeoutMs: number,
    private readonly now: () => number,
    private readonly telemetry: Telemetry,
  ) {}

  /** A turn reported: schedules its wake-up when it is sooner than the next tick. */
  consider(turn: TurnReport, pending: PendingWakeups, invocation: InvocationTelemetry): void {
    const schedule = this.schedule;
    if (schedule === undefined) return;
    const now = this.now();
    const at = turn.outOfTime ? now : turn.outcome === "suspended" ? turn.wakeAt : undefined;
    if (at === undefined || at - now >= this.tickPeriodMs) return;
    const key = `${turn.executionId}\u0000${at}`;
    if (pending.asked.has(key)) return;
    pending.asked.add(key);
    const wakeup: Wakeup = { executionId: turn.executionId, at, delayMs: Math.max(0, at - now) };
    pending.calls.push(this.call(schedule, wakeup, invocation));
  }

  /** Waits for every call this invocation made (each already bounded). */
  async settle(pending: PendingWakeups): Promise<void> {
    while (pending.calls.length > 0) await Promise.all(pending.calls.splice(0));
  }

  private async call(schedule: (wakeup: Wakeup) => unknown, wakeup: Wakeup, invocation: InvocationTelemetry): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`scheduleWakeup did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      await Promise.race([Promise.resolve().then(() => schedule(wakeup)), timeout]);
      this.telemetry.count(invocation, METRIC.wakeupsScheduled);
      this.telemetry.log("debug", "wake-up scheduled", { executionId: wakeup.executionId, at: new Date(wakeup.at).toISOString(), delayMs: wakeup.delayMs }, invocation);
    } catch (error) {
      this.telemetry.count(invocation, METRIC.wakeupScheduleFailed);
      this.telemetry.log(
        "warn",
        "scheduleWakeup failed; the schedule tick wakes the execution instead",
        { executionId: wakeup.executionId, at: new Date(wakeup.at).toISOString(), error: errorFields(error) },
        invocation,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

// B11 (b): how late timers fire in the Lambda example on the SQS wake-up path, in virtual time. The example's handler
// options and SQS message (examples/lambda-dynamodb/app.ts) run on a MemoryStore with a virtual clock; the queue is an
// in-process stand-in that delivers each message, in batches of up to 10, at its send time + DelaySeconds; EventBridge
// ticks every minute. Executions are started over HTTP at random (seeded) times and sleep three times each: those of
// the "sqs" group for 11 to 59 s (sooner than the tick: scheduleWakeup), those of the "tick" group for 61 to 300 s.
import { createLambdaHandler } from "../adapters/lambda/index.js";
import { HANDLER_OPTIONS, wakeupMessage } from "../examples/lambda-dynamodb/app.js";
import { httpRequest, invocationContext, scheduleTick, sqsBatch } from "../examples/lambda-dynamodb/aws-events.js";
import { createEngine, MemoryStore, silentLogger, sleep, step, workflow } from "../src/index.js";
import { VirtualClock } from "../src/testing/index.js";
import { expectEqual } from "./util.js";
import { seededRandom } from "../src/testing/seeded.js";

const START = Date.parse("2026-03-02T09:00:00Z");
const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/access-desk-ResumeQueue";
const SQS_GROUP = 150;
const TICK_GROUP = 50;
const SLEEPS = 3;
/** Starts are spread over this much virtual time. */
const SPREAD_MS = 10 * 60_000;

/** Sleeps each duration in turn, one short step after each. */
const timers = workflow("bench-b11-timers", async function* (input: unknown) {
  let woke = 0;
  for (const ms of (input as { sleeps: number[] }).sleeps) {
    yield* sleep(ms);
    woke += yield* step(`after-${woke}`, () => 1);
  }
  return woke;
});

/** Percentiles of lateness, in ms. */
export interface LatenessStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

function stats(values: number[]): LatenessStats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

/** Plays the run and returns the lateness of every timer taken, by group. */
export async function measureLateness(): Promise<{ sqs: LatenessStats; tick: LatenessStats; messages: number; ticks: number; executions: number }> {
  const clock = new VirtualClock(START);
  const engine = createEngine({ store: new MemoryStore(), workflows: [timers], clock, mode: "external", logger: silentLogger });
  const queue: { at: number; body: string; messageId: string }[] = [];
  let messages = 0;
  const handler = createLambdaHandler(engine, {
    ...HANDLER_OPTIONS,
    log: false,
    scheduleWakeup: (wakeup) => {
      const message = wakeupMessage(QUEUE_URL, wakeup);
      messages++;
      queue.push({ at: clock.now() + message.DelaySeconds * 1000, body: message.MessageBody, messageId: `wake-${messages}` });
    },
  });

  const late = { sqs: [] as number[], tick: [] as number[] };
  const firstTurn = new Set<string>();
  const completed = new Set<string>();
  engine.onTurn((turn) => {
    if (turn.outcome === "completed") completed.add(turn.executionId);
    if (!firstTurn.has(turn.executionId)) {
      firstTurn.add(turn.executionId); // the start's own turn: not a timer
      return;
    }
    if (turn.dueAt === undefined || turn.startedAt === undefined) return;
    (turn.executionId.startsWith("sqs-") ? late.sqs : late.tick).push(turn.startedAt - turn.dueAt);
  });

  const draw = seededRandom(11);
  const starts = [
    ...Array.from({ length: SQS_GROUP }, (_, i) => ({ id: `sqs-${i}`, low: 11_000, high: 59_000 })),
    ...Array.from({ length: TICK_GROUP }, (_, i) => ({ id: `tick-${i}`, low: 61_000, high: 300_000 })),
  ]
    .map(({ id, low, high }) => ({
      id,
      at: START + Math.floor(draw() * SPREAD_MS),
      sleeps: Array.from({ length: SLEEPS }, () => low + Math.floor(draw() * (high - low))),
    }))
    .sort((a, b) => a.at - b.at);

  let ticks = 0;
  let nextTick = START + 60_000;
  const end = START + 3 * 60 * 60_000;
  while (completed.size < SQS_GROUP + TICK_GROUP && clock.now() < end) {
    queue.sort((a, b) => a.at - b.at);
    const at = Math.min(starts[0]?.at ?? Infinity, queue[0]?.at ?? Infinity, nextTick);
    clock.set(Math.max(clock.now(), at));
    if (starts[0]?.at === at) {
      const { id, sleeps } = starts.shift()!;
      await handler(httpRequest("POST", "/executions", { workflow: timers.name, id, input: { sleeps } }, {}, clock.now()), invocationContext(clock));
    } else if (queue[0]?.at === at) {
      const due = queue.splice(0, Math.min(10, queue.filter((message) => message.at <= at).length));
      await handler(sqsBatch(due.map(({ body, messageId }) => ({ body, messageId })), clock.now()), invocationContext(clock));
    } else {
      ticks++;
      nextTick += 60_000;
      await handler(scheduleTick(clock.now()), invocationContext(clock));
    }
  }
  expectEqual(completed.size, SQS_GROUP + TICK_GROUP, "B11 (b) executions completed");
  expectEqual(late.sqs.length + late.tick.length, (SQS_GROUP + TICK_GROUP) * SLEEPS, "B11 (b) timers taken");
  return { sqs: stats(late.sqs), tick: stats(late.tick), messages, ticks, executions: SQS_GROUP + TICK_GROUP };
}

// Scenario: the same message from several processes at once (design rule 3: an acknowledged command is never applied
// twice). Three ways in, one execution collecting K events each: processes racing to start the same id and to send
// each event with the same idempotency key while another process runs the execution's turns; senders whose inbox
// write crashes after taking effect, times out after taking effect or is throttled, and who deliver again from a new
// process until one answers; and SQS messages delivered at once to several Lambda containers (the messageId is the
// key), twice within a batch, and again later. Every event is recorded once, in order; the invariants hold.
import type { Engine, HistoryEvent } from "spindle";
import { ConcurrencyError, waitForEvent, workflow } from "spindle";
import { CLOSED_STATUSES } from "spindle/store";
import type { FaultPlan } from "spindle/testing";
import { FaultStore, VirtualClock } from "spindle/testing";
import { createLambdaHandler } from "spindle/lambda";
import type { SqsBatchResponse } from "spindle/lambda";
import { invocationContext, sqsBatch } from "../../../examples/lambda-dynamodb/aws-events.js";
import { isInjected } from "../driver.js";
import { checkInvariants } from "../invariants.js";
import { EffectLedger, processEngine } from "../ledger.js";
import type { ScenarioResult } from "../report.js";
import { addViolations, bump, describeError, newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";

const collector = workflow("xp-collector", async function* (input: { expect: number }) {
  const got: unknown[] = [];
  for (let i = 0; i < input.expect; i++) got.push(yield* waitForEvent("item"));
  return got;
});

/** Options of the redelivery scenario. */
export interface RedeliveryOptions {
  /** Events per execution. */
  events: number;
  /** Processes (or containers) delivering each message at once. */
  racers: readonly number[];
  /** Executions fed through a store whose inbox writes crash, time out or throttle. */
  faultySeeds: number;
}

/** Delivers every message several times, from several processes, three ways. */
export async function redeliveries(target: StoreTarget, options: RedeliveryOptions): Promise<ScenarioResult> {
  const result = newResult("the same message from several processes", target.name, `racers ${options.racers.join(", ")}; seeds 1..${options.faultySeeds}`);
  result.note =
    "Racing processes start one id and send each event with one idempotency key while another process runs the " +
    "turns, then deliver them all again after the end; senders whose inbox write crashed or timed out after taking " +
    "effect, or was throttled, deliver again from a new process; SQS messages go to several Lambda containers at " +
    "once, twice per batch, and once more later. Checked: one start created, one send accepted per key, each event " +
    "recorded once and in order (the result), I2 to I4.";
  for (const racers of options.racers) await racingSenders(target, result, racers, options.events);
  for (let seed = 1; seed <= options.faultySeeds; seed++) await faultySenders(target, result, seed, options.events);
  for (const racers of options.racers) await sqsContainers(target, result, racers, options.events);
  return result;
}

const received = (events: readonly HistoryEvent[]) => events.filter((event) => event.type === "EventReceived").length;
const expectedResult = (count: number) => JSON.stringify(Array.from({ length: count }, (_, n) => ({ n })));

/** Checks the collector's end and the invariants, recording problems under `where`. */
async function judge(result: ScenarioResult, faults: FaultStore, ledger: EffectLedger, id: string, events: number, where: string, problems: string[]) {
  const record = (await faults.inner.get(id))!;
  const page = (await faults.inner.load(id))!;
  if (record.status !== "completed" || record.result !== expectedResult(events)) {
    problems.push(`ended ${record.status} with ${record.result?.slice(0, 120) ?? "no result"}, expected ${expectedResult(events).slice(0, 60)}...`);
  }
  if (received(page.events as HistoryEvent[]) !== events) problems.push(`${received(page.events as HistoryEvent[])} events recorded for ${events} messages`);
  const report = await checkInvariants({ faults, ledger, rootId: id, faultedTurns: 0 });
  addViolations(result, where, report.violations);
  for (const problem of problems) result.violations.push(`${where}: [I2] ${problem}`);
  result.executions++;
}

/** Resumes `id` until it ends or waits with nothing unread. */
async function settle(engine: () => Engine, faults: FaultStore, id: string, problems: string[]): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const record = await faults.inner.get(id);
    if (!record || CLOSED_STATUSES.has(record.status) || (record.status === "suspended" && record.inboxSeq === record.inboxSeen && !record.lease)) return;
    await engine().resume(id).catch((error: unknown) => {
      if (!(error instanceof ConcurrencyError) && !isInjected(error)) problems.push(`resume threw ${describeError(error)}`);
    });
  }
}

async function racingSenders(target: StoreTarget, result: ScenarioResult, racers: number, events: number): Promise<void> {
  const faults = new FaultStore(target.make());
  const clock = new VirtualClock();
  const ledger = new EffectLedger();
  const engine = () => processEngine({ store: faults.spawn(), workflows: [collector], clock, ledger });
  const id = target.id("xp-racing");
  const problems: string[] = [];
  const all = <T>(run: () => Promise<T>) => Promise.all(Array.from({ length: racers }, () => run().then((value) => ({ value }), (error: unknown) => ({ error }))));

  const starts = await all(() => engine().start(collector, { expect: events }, { id }));
  const created = starts.filter((s) => "value" in s && s.value.created).length;
  for (const s of starts) if ("error" in s) problems.push(`a racing start threw ${describeError(s.error)}`);
  if (created !== 1) problems.push(`${created} of ${racers} racing starts created the execution`);
  bump(result, "racing starts answered created: false", racers - created);

  for (let n = 0; n < events; n++) {
    const [answers] = await Promise.all([
      all(() => engine().sendEvent(id, "item", { n }, { idempotencyKey: `item-${n}` })),
      settle(engine, faults, id, problems),
    ]);
    const accepted = answers.filter((a) => "value" in a && !a.value.duplicate).length;
    for (const a of answers) if ("error" in a) problems.push(`a racing send of item ${n} threw ${describeError(a.error)}`);
    if (accepted !== 1) problems.push(`${accepted} of ${racers} racing sends of item ${n} were accepted as new`);
    bump(result, "racing sends answered duplicate", racers - accepted);
  }
  await settle(engine, faults, id, problems);
  // Redelivered once more after the execution took them all (and ended): still duplicates, nothing stored.
  for (let n = 0; n < events; n++) {
    const again = await engine().sendEvent(id, "item", { n }, { idempotencyKey: `item-${n}` }).catch((error: unknown) => error);
    if (!(again && typeof again === "object" && "duplicate" in again && again.duplicate)) problems.push(`a late redelivery of item ${n} answered ${describeError(again)}`);
  }
  await judge(result, faults, ledger, id, events, `${racers} racing senders on ${target.name}`, problems);
}

/** Inbox writes crash after taking effect, time out after taking effect, or are throttled. */
const inboxFaults: FaultPlan = (call, random) => {
  if (call.method !== "writeInbox") return undefined;
  const roll = random();
  if (roll < 0.15) return { kind: "crash", when: "after" };
  if (roll < 0.35) return { kind: "ambiguous" };
  if (roll < 0.45) return { kind: "throttle" };
  return undefined;
};

async function faultySenders(target: StoreTarget, result: ScenarioResult, seed: number, events: number): Promise<void> {
  const faults = new FaultStore(target.make(), { seed, plan: inboxFaults });
  const clock = new VirtualClock();
  const ledger = new EffectLedger();
  const engine = () => processEngine({ store: faults.spawn(), workflows: [collector], clock, ledger });
  const id = target.id("xp-faulty");
  const problems: string[] = [];
  await engine().start(collector, { expect: events }, { id });
  for (let n = 0; n < events; n++) {
    let accepted = 0;
    for (let delivery = 1; ; delivery++) {
      try {
        const answer = await engine().sendEvent(id, "item", { n }, { idempotencyKey: `item-${n}` });
        if (!answer.duplicate) accepted++;
        break;
      } catch (error) {
        if (!isInjected(error)) {
          problems.push(`delivery ${delivery} of item ${n} threw ${describeError(error)}`);
          break;
        }
        bump(result, "deliveries cut off by a crash, a timeout or throttling, then delivered again");
        if (delivery > 50) {
          problems.push(`item ${n} never got through`);
          break;
        }
      }
    }
    bump(result, "faulty deliveries whose retry found the event already stored (answered duplicate)", accepted === 0 ? 1 : 0);
    await settle(engine, faults, id, problems);
  }
  result.faults += Object.values(faults.stats.injected).reduce((a, b) => a + b, 0);
  faults.plan = undefined;
  await settle(engine, faults, id, problems);
  await judge(result, faults, ledger, id, events, `faulty inbox writes, seed ${seed}, on ${target.name}`, problems);
}

async function sqsContainers(target: StoreTarget, result: ScenarioResult, containers: number, events: number): Promise<void> {
  const faults = new FaultStore(target.make());
  const clock = new VirtualClock();
  const ledger = new EffectLedger();
  const engine = () => processEngine({ store: faults.spawn(), workflows: [collector], clock, ledger });
  const handlers = Array.from({ length: containers }, () => createLambdaHandler(engine(), { log: false }));
  const id = target.id("xp-sqs");
  const problems: string[] = [];
  await engine().start(collector, { expect: events }, { id });
  const message = (n: number) => ({
    messageId: `${id}-msg-${n}`,
    body: JSON.stringify({ action: "sendEvent", executionId: id, name: "item", payload: { n } }),
  });
  /** Delivers a batch to a container; SQS hands failed messages back, so they are delivered again. */
  const deliver = async (handler: (typeof handlers)[number], batch: ReturnType<typeof message>[]) => {
    for (let round = 0; batch.length > 0; round++) {
      const answer = (await handler(sqsBatch(batch, clock.now()), invocationContext(clock))) as SqsBatchResponse;
      const failed = new Set(answer.batchItemFailures.map((failure) => failure.itemIdentifier));
      batch = batch.filter((m) => failed.has(m.messageId));
      if (batch.length > 0) bump(result, "SQS messages handed back by a container and delivered again");
      if (round > 20) {
        problems.push(`messages ${[...failed].join(", ")} kept failing`);
        return;
      }
    }
  };
  for (let n = 0; n < events; n++) {
    // Every container gets the message at once, twice in its batch.
    await Promise.all(handlers.map((handler) => deliver(handler, [message(n), message(n)])));
    bump(result, "SQS deliveries of a message already delivered", 2 * containers - 1);
  }
  // And once more, late, to one container.
  for (let n = 0; n < events; n++) await deliver(handlers[n % containers]!, [message(n)]);
  bump(result, "SQS deliveries of a message already delivered", events);
  await settle(engine, faults, id, problems);
  await judge(result, faults, ledger, id, events, `${containers} Lambda containers on ${target.name}`, problems);
}

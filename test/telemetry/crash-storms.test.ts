// Spans under crash storms: the reliability suite's subjects driven through a FaultStore that crashes processes
// before and after store calls, fails, throttles and reports applied writes as timeouts (STORM), every process an
// engine of its own emitting into one in-memory exporter. Checked against the spans the final history holds (each
// run's accepted events fed, in order, to a fresh RunTrace): every span id appears at most once; every emitted span is
// one the history records, with its recorded end, outcome and parent (nothing for unrecorded work); every span whose
// ending event reached the engine in an acknowledged write was emitted. The only spans allowed missing are those whose
// ending write took effect without the engine seeing it (a crash after the call, or an ambiguous timeout): the
// guarantee the README states. On MemoryStore and DynamoDBStore (DynamoDB Local).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { HistoryEvent } from "spindle/store";
import type { AppendRequest, HistoryStore } from "spindle/store";
import { FaultStore, randomFaults } from "spindle/testing";
import { RunTrace } from "../../src/telemetry/run-trace.js";
import type { SpindleSpan } from "spindle/otel";
import { drive } from "../reliability/driver.js";
import { executionsOf } from "../reliability/invariants.js";
import { EffectLedger } from "../reliability/ledger.js";
import { STORM } from "../reliability/scenarios/crash-storms.js";
import { SUBJECTS } from "../reliability/subjects.js";
import type { StoreTarget } from "../reliability/targets.js";
import { dynamoTarget, memoryTarget } from "../reliability/targets.js";
import { derivedSpanId, memoryTracing, spans } from "./kit.js";

let dynamo: StoreTarget;
const memory = memoryTarget();
beforeAll(async () => {
  dynamo = await dynamoTarget(inject("dynamodbEndpoint"), "spans");
});
afterAll(() => dynamo.close());

/** A process's store that notes every event of an append whose acknowledgement reached the engine. */
function acknowledging(store: HistoryStore, acknowledged: Set<string>): HistoryStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === "append") {
        return async (id: string, request: AppendRequest) => {
          const record = await target.append(id, request);
          for (const event of request.events) acknowledged.add(`${id}/${request.runId}/${event.seq}`);
          return record;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Every span the accepted history of one execution holds, with the event (execution/run/seq) that ends it. */
function recordedSpans(executionId: string, events: readonly HistoryEvent[]): Map<string, { span: SpindleSpan; endedBy: string }> {
  const found = new Map<string, { span: SpindleSpan; endedBy: string }>();
  let trace: RunTrace | undefined;
  let key = "";
  let runId = "";
  for (const event of events) {
    if (event.type === "ExecutionStarted") {
      runId = event.runId;
      trace = new RunTrace({ emit: (span) => void found.set(span.spanId, { span, endedBy: key }) }, (error) => { throw error; }, executionId, runId, event.name, []);
    }
    key = `${executionId}/${runId}/${event.seq}`;
    trace!.written([event], { startedAt: event.at, release: false, updatedAt: event.at, status: "" });
  }
  return found;
}

describe.each(["MemoryStore", "DynamoDBStore"])("spans under crash storms on %s", (name) => {
  it("every span at most once, none for unrecorded work, all whose ending write was acknowledged", async () => {
    const target = name === "MemoryStore" ? memory : dynamo;
    const seeds = name === "MemoryStore" ? 60 : 12;
    let lostToUnseenWrites = 0;
    let emittedTotal = 0;
    let crashesAfter = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const subject = SUBJECTS[seed % SUBJECTS.length]!;
      const where = `${subject.name}, seed ${seed}`;
      const faults = new FaultStore(target.make(), { seed, plan: randomFaults(STORM) });
      const id = target.id(`spans-${subject.name.replace(/\W+/g, "-")}`);
      const { exporter, tracing } = memoryTracing();
      const acknowledged = new Set<string>();
      const ledger = new EffectLedger();
      const driven = await drive({ subject, faults, id, ledger, tracing, process: (spawned) => ({ store: acknowledging(spawned, acknowledged), ledger }) });
      faults.plan = undefined;
      expect(driven.unexpected, where).toEqual([]);
      crashesAfter += (faults.stats.injected["crash-after"] ?? 0) + (faults.stats.injected.ambiguous ?? 0);

      const emitted = spans(exporter);
      emittedTotal += emitted.length;
      const ids = emitted.map((span) => span.spanId);
      expect(ids.filter((spanId, i) => ids.indexOf(spanId) !== i), `${where}: span ids emitted twice`).toEqual([]);

      const recorded = new Map<string, { span: SpindleSpan; endedBy: string }>();
      const runSpans = new Set<string>();
      for (const executionId of executionsOf(faults, id)) {
        const events = faults.accepted(executionId);
        for (const [spanId, entry] of recordedSpans(executionId, events)) recorded.set(spanId, entry);
        for (const event of events) if (event.type === "ExecutionStarted") runSpans.add(derivedSpanId(executionId, event.runId, "run"));
      }
      for (const span of emitted) {
        if (span.kind === "turn") {
          expect(runSpans.has(span.parent!), `${where}: ${span.name} under an unknown run`).toBe(true);
          continue;
        }
        const entry = recorded.get(span.spanId);
        expect(entry, `${where}: ${span.name} (#${span.opId}) is not in the recorded history`).toBeDefined();
        const expected = entry!.span;
        expect([span.name, span.end, span.outcome, span.traceId, span.parent ?? null], `${where}: ${span.name}`).toEqual([
          expected.name,
          expected.endTime,
          String(expected.attributes["spindle.outcome"]),
          expected.traceId,
          expected.parentSpanId ?? null,
        ]);
        expect(span.start, `${where}: ${span.name} starts after it ends`).toBeLessThanOrEqual(span.end);
      }
      const emittedIds = new Set(ids);
      for (const [spanId, { span, endedBy }] of recorded) {
        if (emittedIds.has(spanId)) continue;
        expect(acknowledged.has(endedBy), `${where}: ${span.name} (ended by ${endedBy}, acknowledged) was never emitted`).toBe(false);
        lostToUnseenWrites++;
      }
    }
    console.log(`${name}: ${emittedTotal} spans emitted over ${seeds} storms; ${lostToUnseenWrites} missing, each ended by a write that took effect unseen (${crashesAfter} crash-after or ambiguous faults)`);
    expect(emittedTotal).toBeGreaterThan(100);
    expect(crashesAfter).toBeGreaterThan(0);
    // The guarantee's boundary is exercised: some writes took effect unseen, and their spans are the only ones missing.
    if (name === "MemoryStore") expect(lostToUnseenWrites).toBeGreaterThan(0);
  }, 300_000);
});

// The classic durable-function patterns, part 1: function chaining, fan-out/fan-in, and async HTTP status polling.
// Each test is a small realistic workflow; assertions cover the result and what the history and describe show.
import { describe, expect, it } from "vitest";
import { all, branch, map, setStatus, sleep, step, workflow } from "spindle";
import type { HistoryEvent } from "spindle";
import { createTestEngine, formatTimeline } from "spindle/testing";

const ofType = (events: readonly HistoryEvent[], type: HistoryEvent["type"]) => events.filter((e) => e.type === type);

describe("function chaining", () => {
  // reserve -> charge (flaky payment gateway) -> ship: each step gets the previous step's result.
  const fulfil = workflow("fulfil", async function* (input: { orderId: string; amount: number }) {
    const hold = yield* step("reserve", () => ({ holdId: `hold-${input.orderId}`, sku: "sku-42" }));
    const charge = yield* step(
      "charge",
      ({ attempt }) => gateway.charge(input.amount, attempt),
      { retry: { maxAttempts: 5, initialInterval: "1s", backoffCoefficient: 2 } },
    );
    const shipment = yield* step("ship", () => ({ tracking: `T-${hold.holdId}-${charge.chargeId}` }));
    return { hold: hold.holdId, charge: charge.chargeId, tracking: shipment.tracking };
  });
  const gateway = {
    calls: [] as number[],
    charge(amount: number, attempt: number) {
      gateway.calls.push(attempt);
      if (attempt < 3) throw new Error(`gateway 503 (attempt ${attempt})`);
      return { chargeId: `ch-${amount}` };
    },
  };

  it("passes each step's result to the next and retries the flaky charge with durable backoff", async () => {
    const t = createTestEngine({ workflows: [fulfil] });
    const startedAt = t.clock.now();
    const run = await t.start(fulfil, { orderId: "o-7", amount: 25 }, { id: "fulfil-o-7" });

    expect(await run.result()).toEqual({ hold: "hold-o-7", charge: "ch-25", tracking: "T-hold-o-7-ch-25" });
    expect(gateway.calls).toEqual([1, 2, 3]);
    expect(t.clock.now() - startedAt).toBe(3_000); // backoff 1 s, then 2 s, on the virtual clock

    const history = await t.history("fulfil-o-7");
    const timeline = formatTimeline(history);
    const failures = ofType(history, "StepFailed");
    expect(failures.map((e) => e.name), timeline).toEqual(["charge", "charge"]);
    expect(failures.map((e) => (e.type === "StepFailed" ? e.retryAt! - startedAt : 0)), timeline).toEqual([1_000, 3_000]);
    expect(
      ofType(history, "StepCompleted").map((e) => (e.type === "StepCompleted" ? `${e.name}@${e.attempt}` : "")),
      timeline,
    ).toEqual(["reserve@1", "charge@3", "ship@1"]);
    expect(history.at(-1)?.type, timeline).toBe("ExecutionCompleted");
  });
});

describe("fan-out/fan-in", () => {
  it("maps over a list with bounded concurrency and aggregates the results in input order", async () => {
    const files = Array.from({ length: 12 }, (_, i) => `logs/part-${i}.txt`);
    let inFlight = 0;
    let mostInFlight = 0;
    const countLines = async (file: string) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return Number(file.match(/\d+/)![0]) * 10;
    };
    const wordCount = workflow("line-count", async function* (input: { files: string[] }) {
      const counts = yield* map(input.files, (file, i) => step(`count-${i}`, () => countLines(file)), { concurrency: 4 });
      const total = yield* step("aggregate", () => counts.reduce((sum, n) => sum + n, 0));
      return { counts, total };
    });
    const t = createTestEngine({ workflows: [wordCount] });
    const run = await t.start(wordCount, { files }, { id: "count-1" });

    const result = await run.result();
    expect(result.counts).toEqual(files.map((_, i) => i * 10));
    expect(result.total).toBe(660);
    expect(mostInFlight).toBe(4);

    const history = await t.history("count-1");
    const timeline = formatTimeline(history);
    const group = ofType(history, "GroupStarted")[0];
    expect(group, timeline).toMatchObject({ kind: "map", size: 12 });
    const branchCompletions = ofType(history, "StepCompleted").filter((e) => e.opId.startsWith(`${group!.opId}.`));
    expect(branchCompletions.map((e) => e.opId).sort(), timeline).toEqual(
      files.map((_, i) => `${group!.opId}.${i}.0`).sort(), // each item runs in its own scope <map>.<index>
    );
  });

  it("runs a fixed set of operations and branches with all, returning a typed tuple", async () => {
    const quote = workflow("quote", async function* (input: { sku: string; qty: number }) {
      const [stock, price, shipping] = yield* all([
        step("stock", () => ({ available: 17 })),
        step("price", () => 9.5),
        branch(async function* () {
          const zone = yield* step("zone", () => "EU");
          return yield* step("rate", () => (zone === "EU" ? 4 : 12));
        }),
      ]);
      const ok = stock.available >= input.qty;
      return { sku: input.sku, ok, total: ok ? price * input.qty + shipping : null };
    });
    const t = createTestEngine({ workflows: [quote] });
    const run = await t.start(quote, { sku: "sku-1", qty: 3 }, { id: "quote-1" });

    expect(await run.result()).toEqual({ sku: "sku-1", ok: true, total: 32.5 });
    const history = await t.history("quote-1");
    const timeline = formatTimeline(history);
    const group = ofType(history, "GroupStarted")[0]!;
    expect(group, timeline).toMatchObject({ kind: "all", size: 3 });
    // Each child runs in its own scope <group>.<index>; the branch's two steps are 0 and 1 inside scope <group>.2.
    const scoped = Object.fromEntries(ofType(history, "StepCompleted").map((e) => [e.name, e.opId]));
    expect(scoped, timeline).toEqual({
      stock: `${group.opId}.0.0`,
      price: `${group.opId}.1.0`,
      zone: `${group.opId}.2.0`,
      rate: `${group.opId}.2.1`,
    });
  });
});

describe("async HTTP API: status polling", () => {
  // An export job that takes two minutes on the (virtual) clock; the workflow polls it every 30 s.
  const EXPORT_MS = 120_000;
  const makeJobs = (clock: { now(): number }) => {
    const submitted = new Map<string, number>();
    return {
      submit(report: string) {
        const id = `job-${report}`;
        submitted.set(id, clock.now());
        return id;
      },
      status(id: string) {
        const progress = Math.min(100, Math.round(((clock.now() - submitted.get(id)!) / EXPORT_MS) * 100));
        return { done: progress === 100, progress };
      },
    };
  };
  let jobs: ReturnType<typeof makeJobs>;
  const exportReport = workflow("export-report", async function* (input: { report: string }) {
    const jobId = yield* step("submit", () => jobs.submit(input.report));
    let polls = 0;
    for (;;) {
      const job = yield* step("check", () => jobs.status(jobId));
      polls++;
      yield* setStatus({ state: job.done ? "done" : "exporting", progress: job.progress });
      if (job.done) break;
      yield* sleep("poll-interval", "30s");
    }
    const url = yield* step("publish", () => `https://files.example.com/${jobId}.csv`);
    return { url, polls };
  });

  it("lets a caller poll describe for the custom status until the workflow completes with the result", async () => {
    const t = createTestEngine({ workflows: [exportReport] });
    jobs = makeJobs(t.clock);
    await t.start(exportReport, { report: "q3-sales" }, { id: "export-q3" });

    const seen: unknown[] = [];
    let description = await t.describe("export-q3");
    while (description.status !== "completed") {
      expect(description.status).toBe("suspended");
      expect(description.waitingFor).toMatchObject([{ kind: "timer", name: "poll-interval" }]);
      expect(description.wakeAt!.getTime() - t.clock.now()).toBe(30_000);
      seen.push(description.customStatus);
      await t.advanceTime("30s"); // the caller's own polling interval
      description = await t.describe("export-q3");
    }
    expect(seen).toEqual([0, 25, 50, 75].map((progress) => ({ state: "exporting", progress })));
    expect(description.customStatus).toEqual({ state: "done", progress: 100 });
    expect(description.result).toEqual({ url: "https://files.example.com/job-q3-sales.csv", polls: 5 });

    const history = await t.history("export-q3");
    const timeline = formatTimeline(history);
    expect(ofType(history, "TimerFired"), timeline).toHaveLength(4);
    expect(ofType(history, "StatusSet"), timeline).toHaveLength(5);
    expect(history.at(-1)?.at! - history[0]!.at, timeline).toBe(EXPORT_MS);
  });
});

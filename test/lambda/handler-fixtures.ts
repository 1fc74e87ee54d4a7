// Fixtures of the handler tests (handler.test.ts, redelivery.test.ts): three workflows, the effects ledger, and a
// "container" (an engine on the file's DynamoDB Local table and the handler built on it, as a cold start makes them).
import { z } from "zod";
import { callback, createEngine, sleep, step, TimeoutError, waitForEvent, workflow } from "spindle";
import type { Logger } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { createLambdaHandler } from "spindle/lambda";
import type { HttpResponse } from "spindle/lambda";
import type { VirtualClock } from "spindle/testing";
import { fileTable } from "../dynamodb/helpers.js";

let table: ReturnType<typeof fileTable> | undefined;

/** The file's table name (set before its tests run). */
export const currentTable = (): string => table!.name();

/** Registers the file's table (fresh, named after `label`) and closes its clients after the file's tests. */
export function useHandlerTable(label: string): void {
  table = fileTable(label);
}

/** What the tests set and read: callback tokens handed out, the clock steps advance, the part of `slow` that hangs. */
export const state: { tokens: string[]; stepClock: VirtualClock | undefined; hangOnce: string | undefined } = {
  tokens: [],
  stepClock: undefined,
  hangOnce: undefined,
};

/** Effects of every step, by name: the ledger the tests check against the history. */
export const effects = new Map<string, number>();
export const effect = (name: string): void => {
  effects.set(name, (effects.get(name) ?? 0) + 1);
};
export const workflowLog: string[] = [];

const shipment = workflow(
  "shipment",
  {
    input: z.object({ orderId: z.string() }),
    events: { picked: z.object({ by: z.string() }) },
    callbacks: { approve: z.object({ ok: z.boolean() }) },
  },
  async function* (input, ctx) {
    yield* step("reserve", () => effect(`reserve:${input.orderId}`));
    ctx.log.info(`reserved ${input.orderId}`);
    yield* sleep("10m");
    const picked = yield* ctx.waitForEvent("picked", { timeout: "1h" });
    const approval = yield* callback<{ ok: boolean }>("approve", (token) => void state.tokens.push(token), { timeout: "1h" });
    yield* step("ship", () => effect(`ship:${input.orderId}`));
    return { orderId: input.orderId, pickedBy: picked.by, approved: approval.ok };
  },
);

/** A "container": an engine on the shared table and the handler built on it, as a cold start makes them. */
export function container(clock: VirtualClock, lines: Record<string, unknown>[] = [], extra: Parameters<typeof createLambdaHandler>[1] = {}) {
  const client = table!.client();
  const logger: Logger = {
    info: (message) => workflowLog.push(message),
    warn: () => {},
    error: () => {},
    debug: () => {},
  } as Logger;
  const store = new DynamoDBStore({ client, tableName: table!.name() });
  const engine = createEngine({ store, workflows: [shipment, slow, tally], clock, mode: "external", logger, staleTurnTimeout: "2m" });
  const handler = createLambdaHandler(engine, { log: (line) => lines.push(line), ...extra });
  return { engine, store, handler };
}


export const slow = workflow("slow", async function* () {
  const done: number[] = [];
  for (let i = 0; i < 3; i++) {
    done.push(
      yield* step(`part-${i}`, () => {
        effect(`part-${i}`);
        state.stepClock?.set(state.stepClock.now() + 10_000);
        if (state.hangOnce === `part-${i}`) {
          state.hangOnce = undefined;
          return new Promise<number>(() => {});
        }
        return i;
      }),
    );
  }
  return done;
});

/** Takes "scan" events until none comes for a minute, and returns them in order. */
const tally = workflow("tally", async function* () {
  const scans: unknown[] = [];
  for (;;) {
    try {
      scans.push(yield* waitForEvent("scan", { timeout: "1m" }));
    } catch (error) {
      if (error instanceof TimeoutError) return scans;
      throw error;
    }
  }
});

export const json = (response: unknown) => JSON.parse((response as HttpResponse).body) as Record<string, unknown>;

// Steps inside a leased turn are one conditional PutItem of the event (no record rewrite), and what other processes do
// still reaches the turn at its next write: an inbox write or a lease taken over puts a marker at the run's next
// position. Checked at the store's level, against DynamoDB Local, with two store instances as two processes.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConcurrencyError } from "spindle";
import type { AppendRequest } from "spindle/store";
import { DynamoDBStore } from "spindle/dynamodb";
import { execution, freshId, inboxItem, request, steps, update } from "./fixtures.js";
import { countRequests, freshTable, makeClient } from "./helpers.js";

let tableName: string;
const clients: DynamoDBClient[] = [];
const at = 1_700_000_000_000;

beforeAll(async () => {
  tableName = await freshTable("step-puts");
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

/** A store of its own (another process). */
function node(): { store: DynamoDBStore; counts: Map<string, number> } {
  const client = makeClient({ maxAttempts: 1 });
  clients.push(client);
  return { store: new DynamoDBStore({ client, tableName }), counts: countRequests(client) };
}

/** A step append inside a turn of `owner` holding its lease until `until`, at `version`. */
function stepAppend(id: string, version: number, owner: string, until: number, inboxSeen = 0): AppendRequest {
  return request(`run-${id}`, version, steps(version + 1, 1), {
    update: update({ status: "running", wakeAt: until, updatedAt: at + version, inboxSeen }),
    lease: { owner, until },
  });
}

describe("DynamoDBStore step puts", () => {
  it("writes a step inside a leased turn as one PutItem; every reader sees the run's full version", async () => {
    const a = node();
    const id = freshId("puts");
    const until = at + 60_000;
    await a.store.create(execution(id, { at }));
    await a.store.acquireLease(id, { owner: "a", until, now: at });
    a.counts.clear();
    for (let version = 1; version <= 5; version++) expect((await a.store.append(id, stepAppend(id, version, "a", until))).version).toBe(version + 1);
    expect([...a.counts]).toEqual([["PutItemCommand", 5]]);
    const b = node();
    expect((await b.store.get(id))!.version).toBe(6);
    const page = await b.store.load(id);
    expect(page!.record.version).toBe(6);
    expect(page!.events.map((event) => (event as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // The turn ends through the full path: the record counts everything.
    const end = await a.store.append(id, request(`run-${id}`, 6, steps(7, 1), { update: update({ status: "completed", updatedAt: at + 10 }), lease: { owner: "a", until: null } }));
    expect(end.version).toBe(7);
    expect((await b.store.load(id))!.events).toHaveLength(7);
  });

  it("lets an inbox write from another process reach the turn at its next step", async () => {
    const a = node();
    const id = freshId("inbox-marker");
    const until = at + 60_000;
    await a.store.create(execution(id, { at }));
    await a.store.acquireLease(id, { owner: "a", until, now: at });
    await a.store.append(id, stepAppend(id, 1, "a", until));
    const b = node();
    expect(await b.store.writeInbox(id, inboxItem("cancel-me", { type: "cancel", name: "cancel" }))).toEqual({ status: "written" });
    // The step lands (over the marker), and the record it returns shows the command the turn has not read.
    const next = await a.store.append(id, stepAppend(id, 2, "a", until));
    expect(next.version).toBe(3);
    expect(next.inboxSeq).toBe(1);
    const page = await b.store.load(id);
    expect(page!.events).toHaveLength(3);
    expect(page!.inbox.map((item) => item.key)).toEqual(["cancel-me"]);
  });

  it("stops a turn whose lease another process took over at its next step, writing nothing", async () => {
    const a = node();
    const id = freshId("takeover");
    await a.store.create(execution(id, { at }));
    await a.store.acquireLease(id, { owner: "a", until: at + 1_000, now: at });
    await a.store.append(id, stepAppend(id, 1, "a", at + 1_000));
    const b = node();
    const taken = await b.store.acquireLease(id, { owner: "b", until: at + 60_000, now: at + 2_000, expect: { runId: `run-${id}`, version: 2 } });
    expect(taken.acquired).toBe(true);
    // a still believes it holds its lease: its next step put finds b's marker, reads the record and is refused.
    await expect(a.store.append(id, stepAppend(id, 2, "a", at + 1_000))).rejects.toBeInstanceOf(ConcurrencyError);
    const page = await b.store.load(id);
    expect(page!.record.version).toBe(2);
    expect(page!.record.lease).toEqual({ owner: "b", until: at + 60_000 });
    expect((await b.store.append(id, stepAppend(id, 2, "b", at + 60_000))).version).toBe(3);
  });

  it("refuses a step of another writer at a position already taken: the history never forks", async () => {
    const a = node();
    const b = node();
    const id = freshId("fork");
    const until = at + 60_000;
    await a.store.create(execution(id, { at }));
    await a.store.acquireLease(id, { owner: "a", until, now: at });
    await b.store.load(id); // b has seen the record (and a's lease): it would write a step put as "a" too
    const outcomes = await Promise.allSettled([a.store.append(id, stepAppend(id, 1, "a", until)), b.store.append(id, stepAppend(id, 1, "a", until))]);
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((outcome) => outcome.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConcurrencyError);
    expect((await node().store.load(id))!.events).toHaveLength(2);
  });
});

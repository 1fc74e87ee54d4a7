// Conformance tests of what a store must take whole, as the engine hands it over: execution ids of up to MAX_ID_BYTES
// UTF-8 bytes of any well-formed text (the engine refuses longer or ill-formed ones before any store call), kept apart
// when they differ in one character; idempotency keys of up to 512 characters; and inbox payloads carrying a value as
// large as `limits.maxValueBytes`, escapes included, given back byte for byte. And what it must refuse: a list cursor it
// did not make (a mistyped or truncated one would otherwise list the first page again, as if it were the next).
import { MAX_ID_BYTES, utf8Length } from "../core/codec.js";
import { ValidationError } from "../errors.js";
import type { HistoryStore } from "../store/history-store.js";
import { appendRequest, freshId, inboxItem, loadAll, sampleExecution, sampleSteps, update } from "./conformance-fixtures.js";
import type { TestApi } from "./conformance.js";

/** `prefix` followed by copies of `unit` and ASCII padding: exactly `bytes` UTF-8 bytes. */
function idOfBytes(prefix: string, unit: string, bytes: number): string {
  const unitBytes = utf8Length(unit);
  const room = bytes - utf8Length(prefix);
  const units = Math.floor(room / unitBytes);
  return prefix + "-".repeat(room - units * unitBytes) + unit.repeat(units);
}

/** Registers the tests inside `runStoreConformance`'s describe block. */
export function registerInputConformance(api: TestApi, makeStore: () => HistoryStore | Promise<HistoryStore>): void {
  const { it, expect } = api;

  it(`keeps executions whose ids are ${MAX_ID_BYTES} UTF-8 bytes of any text apart, and finds each by its id`, async () => {
    const store = await makeStore();
    const workflow = freshId("long-ids");
    const base = freshId("id");
    const ids = [
      idOfBytes(`${base}-a`, "i", MAX_ID_BYTES),
      idOfBytes(`${base}-b`, "é", MAX_ID_BYTES),
      idOfBytes(`${base}-c`, "€", MAX_ID_BYTES),
      idOfBytes(`${base}-d`, "\u{1F600}", MAX_ID_BYTES),
      // The same bytes but for the last character's.
      idOfBytes(`${base}-d`, "\u{1F600}", MAX_ID_BYTES - 4) + "\u{1F601}",
    ];
    for (const id of ids) expect(utf8Length(id)).toBe(MAX_ID_BYTES);
    for (const id of ids) expect((await store.create(sampleExecution(id, { workflow, input: JSON.stringify(id) }))).created).toBe(true);
    for (const [i, id] of ids.entries()) {
      const record = await store.get(id);
      expect(record?.id).toBe(id);
      expect(record?.input).toBe(JSON.stringify(id));
      await store.append(id, appendRequest(record!.runId, 1, sampleSteps(2, 1)));
      expect(await loadAll(store, id)).toHaveLength(2);
      expect(await store.writeInbox(id, inboxItem(`key-${i}`, { id: freshId("item") }))).toEqual({ status: "written" });
    }
    const listed = await store.list({ workflow, limit: 100 });
    expect(listed.records.map((record) => record.id).sort()).toEqual([...ids].sort());
  });

  it("keeps idempotency keys of up to 512 characters apart, also when they differ in one astral character", async () => {
    const store = await makeStore();
    const id = freshId("keys");
    await store.create(sampleExecution(id));
    const keys = ["€".repeat(512), `${"€".repeat(511)}£`, "k\u{1F600}", "k\u{1F601}", "\u{1F600}".repeat(256)];
    // Item ids are the engine's (short); keys are the caller's.
    const item = (key: string) => inboxItem(key, { id: freshId("item") });
    for (const key of keys) expect(await store.writeInbox(id, item(key))).toEqual({ status: "written" });
    for (const key of keys) expect(await store.writeInbox(id, item(key))).toMatchObject({ status: "duplicate" });
    expect((await store.load(id))!.inbox.map((item) => item.key)).toEqual(keys);
  });

  it("gives back an inbox payload carrying a value as large as limits.maxValueBytes byte for byte, escapes included", async () => {
    const store = await makeStore();
    const id = freshId("escapes");
    await store.create(sampleExecution(id));
    // A callback's completion as the engine writes it: JSON around a value that is JSON text already, so each quote of
    // the value is escaped once in the value and once more around it.
    const value = JSON.stringify('"'.repeat(Math.floor((store.limits.maxValueBytes - 2) / 2)));
    const payloads = [JSON.stringify({ value }), JSON.stringify({ status: "completed", result: JSON.stringify("\\".repeat(1000)), error: { name: "E", message: '"' } })];
    const items = payloads.map((payload, i) => inboxItem(`escaped-${i}`, { payload, type: "callback", name: `callback:${i}` }));
    for (const item of items) expect(await store.writeInbox(id, item)).toEqual({ status: "written" });
    const loaded = await store.load(id);
    expect(loaded!.inbox.map((item) => item.payload)).toEqual(payloads);
    const again = await store.writeInbox(id, inboxItem("escaped-0", { payload: "{}" }));
    expect(again).toMatchObject({ status: "duplicate", existing: { id: items[0]!.id, payload: payloads[0] } });
  });

  it("refuses a list cursor it did not make with ValidationError, and follows its own past a record that changed", async () => {
    const store = await makeStore();
    const workflow = freshId("cursors");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(freshId("cursor"));
      await store.create(sampleExecution(ids[i]!, { workflow, at: 1_700_000_000_000 + i }));
    }
    const foreign = ["zzz", "garbage", "", "not a cursor!", Buffer.from('{"a":1}').toString("base64url"), ids[2]!];
    for (const cursor of foreign) await expect(store.list({ workflow, limit: 2, cursor })).rejects.toBeInstanceOf(ValidationError);
    const first = await store.list({ workflow, status: "running", limit: 2 });
    expect(first.records.map((record) => record.id)).toEqual([ids[2], ids[1]]);
    // The page's last record leaves the listing: the next page still starts after it, not over again.
    const record = (await store.get(ids[1]!))!;
    await store.append(ids[1]!, appendRequest(record.runId, 1, [], { update: update({ status: "completed" }) }));
    const next = await store.list({ workflow, status: "running", limit: 2, cursor: first.cursor! });
    expect(next.records.map((each) => each.id)).toEqual([ids[0]]);
  });
}

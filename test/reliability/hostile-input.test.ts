// CI run of the hostile-input table (design rule 5) on MemoryStore and DynamoDBStore (DynamoDB Local): every input is
// refused with a typed Spindle error and nothing stored, or handled correctly. The table is a report of what happens
// today, so the rows known not to hold yet are named here and left unasserted; every other row is asserted, and a
// known row that starts holding is reported so it can be moved out of the list.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hostileInput, rowKey } from "./scenarios/hostile-input.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

/**
 * Rows that do not hold yet: a Proxy (or a revoked one) thrown by a workflow body, outside any step, makes every
 * resume throw (an untyped Error or TypeError) and leaves the execution running; the same value thrown by a step is
 * recorded as UnreadableError.
 */
const NOT_YET = new Set([
  "a Proxy whose every trap throws, thrown by the workflow body | workflow body",
  "a revoked Proxy, thrown by the workflow body | workflow body",
]);

const targets: Record<string, StoreTarget> = { MemoryStore: memoryTarget() };
beforeAll(async () => {
  targets.DynamoDBStore = await dynamoTarget(inject("dynamodbEndpoint"), "hostile");
});
afterAll(() => targets.DynamoDBStore?.close());

describe.each(["MemoryStore", "DynamoDBStore"])("hostile input on %s", (name) => {
  it("is refused with a typed error and nothing stored, or handled correctly (every row but the known open ones)", async () => {
    const result = await hostileInput(targets[name]!);
    const rows = result.rows!;
    expect(rows.length).toBeGreaterThan(50);
    const broken = rows.filter((row) => !row.holds && !NOT_YET.has(rowKey(row))).map((row) => `${rowKey(row)}: ${row.answer}; stored ${row.stored}`);
    expect(broken).toEqual([]);
    const nowHolding = rows.filter((row) => row.holds && NOT_YET.has(rowKey(row))).map(rowKey);
    if (nowHolding.length > 0) console.log(`hostile input on ${name}: rows that hold now, move them out of NOT_YET: ${nowHolding.join("; ")}`);
  }, 60_000);
});

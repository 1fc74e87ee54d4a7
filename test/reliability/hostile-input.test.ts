// CI run of the hostile-input table (design rule 5) on MemoryStore and DynamoDBStore (DynamoDB Local): every input is
// refused with a typed Spindle error and nothing stored, or handled correctly. The table is a report of what happens
// today, so the rows known not to hold yet are named here and left unasserted; every other row is asserted, and a
// known row that starts holding is reported so it can be moved out of the list.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hostileInput, rowKey } from "./scenarios/hostile-input.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

/**
 * Rows that do not hold yet, by `rowKey`: none since 0e0340a (a Proxy or a revoked Proxy thrown by a workflow body,
 * outside any step, made every resume throw and left the execution running). A row that breaks goes here only with a
 * reason and the issue that tracks it.
 */
const NOT_YET = new Set<string>([]);

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

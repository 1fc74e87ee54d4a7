// The engine's own history check (history-check.ts, no zod) and the public zod schemas (history.ts) describe the same
// events: same types, same fields, and for every field the same values accepted and refused.
import { describe, expect, it } from "vitest";
import { HistoryCorruptedError } from "spindle";
import { checkHistory, historyEventSchema, historyEventSchemas } from "spindle/store";
import type { FieldKind } from "../../src/core/history-check.js";
import { BASE_FIELDS, EVENT_FIELDS } from "../../src/core/history-check.js";

const VALID: Record<FieldKind, unknown> = {
  str: "x",
  "int+": 3,
  int0: 0,
  num: 1.5,
  bool: true,
  error: { name: "Error", message: "m", code: "E", data: { a: 1 }, cause: { name: "Inner", message: "n" } },
  child: "failed",
  ids: ["2.0", "2.3"],
};

const PROBES: unknown[] = [
  undefined,
  null,
  "",
  "x",
  "completed",
  0,
  1,
  -1,
  1.5,
  2 ** 60,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  true,
  {},
  [],
  ["2.0"],
  ["2.0", 1],
  { name: "E", message: "m" },
  { name: "E" },
  { name: "E", message: "m", data: [1] },
  { name: "E", message: "m", cause: { message: "no name" } },
  { name: "E", message: "m", cause: { name: "C", message: "c", cause: { name: "D", message: 4 } } },
];

function kindOf(spec: string): FieldKind {
  return spec.replace("?", "") as FieldKind;
}

/** A valid event of `type` at seq 2, with every field (optional ones too). */
function validEvent(type: string): Record<string, unknown> {
  const event: Record<string, unknown> = { type };
  for (const [name, spec] of Object.entries({ ...BASE_FIELDS, ...EVENT_FIELDS[type as keyof typeof EVENT_FIELDS] })) {
    event[name] = VALID[kindOf(spec)];
  }
  event.v = 1;
  event.seq = 2;
  return event;
}

const started = { type: "ExecutionStarted", v: 1, seq: 1, opId: "-", kind: "execution", name: "w", at: 1, executionId: "e", runId: "r" };

function accepted(event: unknown): boolean {
  try {
    checkHistory("e", [started, event]);
    return true;
  } catch (error) {
    if (!(error instanceof HistoryCorruptedError)) throw error;
    return false;
  }
}

describe("history check without zod", () => {
  it("knows exactly the event types the zod schemas know, with the same fields", () => {
    expect(Object.keys(EVENT_FIELDS).sort()).toEqual(Object.keys(historyEventSchemas).sort());
    for (const [type, schema] of Object.entries(historyEventSchemas)) {
      const fields = Object.keys(schema.shape).filter((key) => key !== "type");
      expect([type, ...fields.sort()]).toEqual([type, ...Object.keys({ ...BASE_FIELDS, ...EVENT_FIELDS[type as keyof typeof EVENT_FIELDS] }).sort()]);
    }
  });

  const cases = Object.entries(EVENT_FIELDS).flatMap(([type, fields]) =>
    Object.keys({ ...BASE_FIELDS, ...fields })
      .filter((field) => field !== "seq" && field !== "v")
      .map((field) => [type, field] as const),
  );

  it.each(cases)("%s.%s: accepts and refuses the same values as zod", (type, field) => {
    const base = validEvent(type);
    expect(accepted(base)).toBe(true);
    expect(historyEventSchema.safeParse(base).success).toBe(true);
    for (const probe of PROBES) {
      const event = { ...base, [field]: probe };
      expect([type, field, probe, accepted(event)]).toEqual([type, field, probe, historyEventSchema.safeParse(event).success]);
    }
    const { [field]: _dropped, ...without } = base;
    expect([type, field, "absent", accepted(without)]).toEqual([type, field, "absent", historyEventSchema.safeParse(without).success]);
  });

  it.each(Object.keys(EVENT_FIELDS))("%s: returns what zod's parse returns (unknown fields dropped)", (type) => {
    const raw = { ...validEvent(type), extra: "dropped" };
    const [, checked] = checkHistory("e", [started, raw]);
    const parsed = historyEventSchema.parse(raw);
    if (type === "StepCompleted") expect(checked).toBe(raw); // the fast path keeps the stored object
    else expect(checked).toEqual(parsed);
  });

  it("refuses an unknown type, a non-object and a bad version, naming execution, position and field", () => {
    expect(() => checkHistory("e", [started, { ...validEvent("TimerFired"), type: "Nope" }])).toThrowError(
      /execution 'e' is corrupted at event #2: .* at 'type': expected a known event type .*received the string "Nope"/,
    );
    expect(() => checkHistory("e", [started, "text"])).toThrowError(/#2: .*expected an event object, received the string/);
    expect(() => checkHistory("e", [started, { ...validEvent("StepFailed"), error: { name: "E", message: 1 } }])).toThrowError(
      /at 'error\.message': expected a string, received the number 1/,
    );
    expect(() => checkHistory("e", [started, { ...validEvent("TimerFired"), v: 2 }])).toThrowError(/newer than this Spindle reads/);
  });
});

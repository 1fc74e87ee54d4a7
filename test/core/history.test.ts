// The history schema: the fast StepCompleted check agrees with zod, and checkHistory's refusals name the position.
import { describe, expect, it } from "vitest";
import { HistoryCorruptedError } from "spindle";
import { checkHistory, historyEventSchema } from "spindle/store";
import { isPlainStepCompleted } from "../../src/core/history.js";

const valid = { type: "StepCompleted", v: 1, seq: 2, opId: "0", kind: "step", name: "a", at: 5, attempt: 1, result: '"x"' };

describe("history schema", () => {
  const samples: [string, unknown][] = [
    ["a valid event", valid],
    ["one without a result", { ...valid, result: undefined }],
    ["a null result", { ...valid, result: null }],
    ["a numeric result", { ...valid, result: 3 }],
    ["a fractional seq", { ...valid, seq: 2.5 }],
    ["a zero attempt", { ...valid, attempt: 0 }],
    ["a missing name", { ...valid, name: undefined }],
    ["a string time", { ...valid, at: "5" }],
    ["an infinite time", { ...valid, at: Number.POSITIVE_INFINITY }],
    ["another type", { ...valid, type: "StepFailed" }],
    ["null", null],
    ["an array", [valid]],
  ];

  it.each(samples)("the fast check never accepts what zod refuses: %s", (_label, sample) => {
    if (isPlainStepCompleted(sample)) expect(historyEventSchema.safeParse(sample).success).toBe(true);
  });

  it("takes the fast path for a well-formed StepCompleted", () => {
    expect(isPlainStepCompleted(valid)).toBe(true);
  });

  it("names the execution and the position of a malformed event", () => {
    const started = { type: "ExecutionStarted", v: 1, seq: 1, opId: "-", kind: "execution", name: "w", at: 1, executionId: "e", runId: "r" };
    expect(checkHistory("e", [started, valid])).toHaveLength(2);
    expect(() => checkHistory("e", [started, { ...valid, attempt: "1" }])).toThrowError(HistoryCorruptedError);
    expect(() => checkHistory("e", [started, { ...valid, attempt: "1" }])).toThrowError(/'e'.*#2.*'attempt'/);
    expect(() => checkHistory("e", [valid])).toThrowError(/#1.*found seq 2/);
  });
});

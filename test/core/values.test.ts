// Values crossing a yield: JSON encoding rules, size limits, durations and recorded errors.
import { describe, expect, it } from "vitest";
import { PayloadTooLargeError, SerializationError, StepTimeoutError, TerminalError, ValidationError } from "spindle";
import { decodeEncoded, decodeValue, encodeValue, utf8Length } from "../../src/core/codec.js";
import { formatMillis, toMillis } from "../../src/core/duration.js";
import { reviveError, toErrorRecord } from "../../src/core/error-record.js";

const site = { executionId: "e1", operation: "step 'x' (#0) result", limit: 100 };

describe("codec", () => {
  it("round-trips JSON data and gives a fresh copy on every decode", () => {
    const text = encodeValue({ a: [1, "b", null, true], d: new Date(0) }, site);
    expect(decodeValue(text)).toEqual({ a: [1, "b", null, true], d: "1970-01-01T00:00:00.000Z" });
    expect(decodeValue(text)).not.toBe(decodeValue(text));
    expect(encodeValue(undefined, site)).toBeUndefined();
    expect(decodeValue(undefined)).toBeUndefined();
  });

  it("encodes a finite number as JSON.stringify does", () => {
    for (const value of [0, -0, 42, -7, 0.1, 1 / 3, 1e21, 1.5e-7, -5e-324, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2, 2 ** 31]) {
      expect(encodeValue(value, site)).toBe(JSON.stringify(value));
    }
    expect(() => encodeValue(Number.NaN, site)).toThrowError(SerializationError);
  });

  it.each([
    ["a number", 42],
    ["minus zero", -0],
    ["a large number", 1e21],
    ["a string with escapes and a lone surrogate", 'a"\\\n\u0000\ud800'],
    ["a boolean", false],
    ["null", null],
    ["an object", { a: [1, { b: "c" }] }],
    ["a date", new Date(0)],
    ["undefined", undefined],
  ])("decodes %s just encoded as decodeValue would, an object as a fresh copy", (_label, value) => {
    const text = encodeValue(value, site);
    const decoded = decodeEncoded(text, value);
    expect(Object.is(decoded, decodeValue(text)) || (typeof decoded === "object" && decoded !== null)).toBe(true);
    expect(decoded).toEqual(decodeValue(text));
    if (typeof value === "object" && value !== null) expect(decoded).not.toBe(value);
  });

  it.each([
    ["a function", { f: () => 1 }, /a function/],
    ["a BigInt", { n: 1n }, /BigInt/],
    ["a Map", new Map(), /instance of Map/],
    ["a class instance", new (class Money {})(), /instance of Money/],
    ["NaN", { n: Number.NaN }, /NaN/],
    ["Infinity", [Number.POSITIVE_INFINITY], /Infinity/],
    ["a symbol", { s: Symbol("x") }, /symbol/],
  ])("rejects %s with SerializationError naming the execution and operation", (_label, value, reason) => {
    expect(() => encodeValue(value, site)).toThrowError(SerializationError);
    expect(() => encodeValue(value, site)).toThrowError(reason);
    expect(() => encodeValue(value, site)).toThrowError(/'e1'.*step 'x'/);
  });

  it("rejects a cycle with SerializationError", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeValue(cyclic, site)).toThrowError(/circular/);
  });

  it("counts the limit in UTF-8 bytes, multibyte text included", () => {
    expect(utf8Length("aé€😀")).toBe(1 + 2 + 3 + 4);
    expect(encodeValue("é".repeat(49), site)).toBeDefined(); // 98 + 2 quote bytes = 100
    const error = (() => {
      try {
        encodeValue("é".repeat(50), site);
      } catch (e) {
        return e as PayloadTooLargeError;
      }
    })();
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ size: 102, limit: 100, executionId: "e1" });
    expect(error!.message).toMatch(/102 bytes.*100 bytes/);
  });
});

describe("durations", () => {
  it.each([
    ["90s", 90_000],
    ["1h30m", 5_400_000],
    ["1h 30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["250ms", 250],
    ["2d", 172_800_000],
    ["1w", 604_800_000],
    ["10 min", 600_000],
    ["1500", 1500],
  ])("parses %s", (text, ms) => {
    expect(toMillis(text)).toBe(ms);
  });

  it("parses objects and numbers", () => {
    expect(toMillis({ minutes: 5, seconds: 3 })).toBe(303_000);
    expect(toMillis(0)).toBe(0);
    expect(toMillis(12.6)).toBe(13);
  });

  it.each([["5x"], [""], ["h"], [-1], [Number.NaN], [{}], [{ hours: -1 }], [{ fortnights: 1 }]])(
    "rejects %j with ValidationError",
    (bad) => {
      expect(() => toMillis(bad as never, "duration of sleep 'x'")).toThrowError(ValidationError);
      expect(() => toMillis(bad as never, "duration of sleep 'x'")).toThrowError(/sleep 'x'.*"90s"/);
    },
  );

  it("formats spans for people", () => {
    expect(formatMillis(90)).toBe("90ms");
    expect(formatMillis(5_400_000)).toBe("1h 30m");
  });
});

describe("error records", () => {
  it("keeps name, message, code and own JSON fields, and drops the rest", () => {
    class CardDeclined extends Error {
      override name = "CardDeclined";
      code = "E_DECLINED";
      balance = 3;
      card = { last4: "4242" };
      handler = () => 1;
    }
    const record = toErrorRecord(new CardDeclined("no funds"));
    expect(record).toMatchObject({ name: "CardDeclined", message: "no funds", code: "E_DECLINED", data: { balance: 3, card: { last4: "4242" } } });
    expect(record.data).not.toHaveProperty("handler");
    const revived = reviveError(record);
    expect(revived).toBeInstanceOf(Error);
    expect(revived).toMatchObject({ name: "CardDeclined", message: "no funds", code: "E_DECLINED", balance: 3 });
    expect(revived.stack).toBe(record.stack);
  });

  it("revives Spindle's own errors as their classes, causes included", () => {
    const record = toErrorRecord(new TerminalError("stop", { cause: new StepTimeoutError("slow") }));
    const revived = reviveError(record);
    expect(revived).toBeInstanceOf(TerminalError);
    expect(revived.code).toBe("TERMINAL");
    expect(revived.cause).toBeInstanceOf(StepTimeoutError);
  });

  it("records thrown non-Errors readably", () => {
    expect(toErrorRecord("oops")).toMatchObject({ name: "Error", message: "a non-Error value was thrown: oops", data: { thrown: "oops" } });
    expect(toErrorRecord({ status: 503 })).toMatchObject({ message: 'a non-Error value was thrown: {"status":503}' });
    expect(toErrorRecord(undefined).message).toContain("undefined");
  });
});

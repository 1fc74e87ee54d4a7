// Reviving a recorded error picks Spindle's class by the recorded name, and only by a name that is one of its classes:
// a name that happens to be a key every object has ("constructor", "toString") is a user's error like any other.
import { describe, expect, it } from "vitest";
import { SpindleError, TerminalError } from "spindle";
import { reviveError, toErrorRecord } from "../../src/core/error-record.js";

describe("reviveError", () => {
  it("revives a name that Object.prototype has as a plain Error with that name, never as Object or a function", () => {
    for (const name of ["constructor", "toString", "hasOwnProperty", "valueOf", "__proto__"]) {
      const thrown = Object.assign(new Error("odd name"), { name });
      const revived = reviveError(toErrorRecord(thrown));
      expect(revived, name).toBeInstanceOf(Error);
      expect(Object.getPrototypeOf(revived), name).toBe(Error.prototype);
      expect(revived.name, name).toBe(name);
      expect(revived.message).toBe("odd name");
      expect(revived instanceof SpindleError).toBe(false);
    }
    expect(reviveError(toErrorRecord(new TerminalError("declined")))).toBeInstanceOf(TerminalError);
  });
});

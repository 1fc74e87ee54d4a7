// Operation names are part of the history: replay compares them, so they must be non-empty strings, well-formed
// Unicode (a lone surrogate would not survive a store that keeps UTF-8) and at most MAX_ID_BYTES in UTF-8.
import { isWellFormedText, MAX_ID_BYTES, utf8Length } from "../core/codec.js";
import { ValidationError } from "../errors.js";

/** @throws ValidationError unless the name is a non-empty string. */
export function requireName(operation: string, name: unknown): asserts name is string {
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(
      `${operation}(name, ...): the name must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}. ` +
        `Names identify operations in the history.`,
    );
  }
  if (!isWellFormedText(name)) {
    throw new ValidationError(
      `${operation}(name, ...): the name ${JSON.stringify(name.slice(0, 80))} is not well-formed Unicode (it has a lone ` +
        `surrogate). Use text that encodes as UTF-8.`,
    );
  }
  if (name.length * 3 > MAX_ID_BYTES && utf8Length(name) > MAX_ID_BYTES) {
    throw new ValidationError(
      `${operation}(name, ...): the name is ${utf8Length(name)} bytes in UTF-8; the limit is ${MAX_ID_BYTES} bytes. Use a shorter name.`,
    );
  }
}

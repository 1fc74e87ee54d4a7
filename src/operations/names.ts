// Operation names are part of the history: replay compares them, so they must be non-empty strings.
import { ValidationError } from "../errors.js";

/** @throws ValidationError unless the name is a non-empty string. */
export function requireName(operation: string, name: unknown): asserts name is string {
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(
      `${operation}(name, ...): the name must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}. ` +
        `Names identify operations in the history.`,
    );
  }
}

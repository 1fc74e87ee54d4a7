// The test functions the store conformance suite registers with, described by their shape alone. vitest's and jest's
// `{ describe, it, expect }` fit it, and `spindle/testing`'s declarations import no test framework, so a project
// without vitest typechecks against them.

/**
 * What an `it` body may receive: vitest passes its test context (the suite calls `skip()` for optional features).
 *
 * @example
 * ```ts
 * it("leases", async (context?: TestContextLike) => context?.skip?.());
 * ```
 */
export interface TestContextLike {
  skip?: () => void;
}

/**
 * The matchers the conformance suite uses, as vitest and jest spell them.
 *
 * @example
 * ```ts
 * const negated: TestMatchers = expect(listed).not;
 * negated.toContain("closed-1");
 * ```
 */
export interface TestMatchers {
  toBe(expected: unknown): unknown;
  toEqual(expected: unknown): unknown;
  toMatchObject(expected: object): unknown;
  toHaveLength(length: number): unknown;
  toBeUndefined(): unknown;
  toContain(item: unknown): unknown;
  toBeGreaterThan(value: number): unknown;
  toBeLessThanOrEqual(value: number): unknown;
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): unknown;
}

/**
 * What `expect(value)` gives: the matchers, their negation, and matchers on a promise's rejection.
 *
 * @example
 * ```ts
 * const check: TestAssertion = expect(record.version);
 * check.toBe(2);
 * ```
 */
export interface TestAssertion extends TestMatchers {
  readonly not: TestMatchers;
  readonly rejects: TestRejectsAssertion;
}

/**
 * Matchers on a promise's rejection (`expect(promise).rejects`).
 *
 * @example
 * ```ts
 * await expect(store.append(id, stale)).rejects.toBeInstanceOf(ConcurrencyError);
 * ```
 */
export interface TestRejectsAssertion {
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): PromiseLike<unknown>;
  toThrow(expected?: abstract new (...args: never[]) => unknown): PromiseLike<unknown>;
}

/**
 * The test functions the suite registers with: vitest's or jest's `{ describe, it, expect }` (a structural type: no
 * test framework's types are needed to name it).
 *
 * @example
 * ```ts
 * import { describe, expect, it } from "vitest";
 * const test: TestApi = { describe, it, expect };
 * runStoreConformance("MyStore", () => new MyStore(), { test });
 * ```
 */
export interface TestApi {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: (context?: TestContextLike) => Promise<unknown> | void): unknown;
  expect(actual: unknown): TestAssertion;
}

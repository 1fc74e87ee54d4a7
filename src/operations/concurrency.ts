// Concurrency: all, race, allSettled over operations and branches, map over a list with a bound on branches in
// flight, and branch() for a sub-workflow. Each child runs in its own operation-id scope (<group id>.<index>), so
// replay is deterministic whatever order children complete in.
import type { Envelope as CoreEnvelope } from "../core/yieldable.js";
import { operation } from "../core/yieldable.js";
import { ValidationError } from "../errors.js";
import { requireName } from "./names.js";
import type { Envelope, Yieldable } from "./yieldable.js";
import { internal } from "./yieldable.js";

/**
 * The result type of each operation in a tuple: what `all` returns.
 *
 * @example
 * ```ts
 * const ops = [step("stock", () => 3), step("price", () => "9.90")] as const;
 * const results: Results<typeof ops> = yield* all(ops); // [number, string]
 * ```
 */
export type Results<T extends readonly Yieldable<unknown>[]> = { -readonly [K in keyof T]: T[K] extends Yieldable<infer R> ? R : never };

/**
 * One child's outcome in allSettled.
 *
 * @example
 * ```ts
 * const outcomes: Settled<number>[] = yield* mapSettled(ids, (id) => step(`count-${id}`, () => count(id)));
 * const failed = outcomes.filter((o) => o.status === "rejected").length;
 * ```
 */
export type Settled<T> = { status: "fulfilled"; value: T } | { status: "rejected"; reason: Error };

/**
 * Options of the concurrency operations.
 *
 * @example
 * ```ts
 * const options: GroupOptions = { name: "quotes" }; // the name recorded in the history
 * const [a, b] = yield* all([step("a", quoteA), step("b", quoteB)], options);
 * ```
 */
export interface GroupOptions {
  /** Name recorded in the history (default: the operation's name, e.g. "all"). */
  name?: string;
}

/**
 * Options of map.
 *
 * @example
 * ```ts
 * const options: MapOptions = { concurrency: 50, name: "transform" };
 * const sizes = yield* map(partitions, (p) => step(`transform-${p}`, () => transform(p)), options);
 * ```
 */
export interface MapOptions extends GroupOptions {
  /** Most branches in flight at once. Default 10. */
  concurrency?: number;
}

function group<T>(
  kind: "all" | "race" | "allSettled",
  children: readonly Yieldable<unknown>[],
  options: GroupOptions,
): Yieldable<T> {
  if (!Array.isArray(children)) {
    throw new ValidationError(`${kind}(operations): pass an array of operations (step(...), sleep(...), branch(...)).`);
  }
  const name = options.name ?? kind;
  requireName(kind, name);
  const list = [...children];
  return operation({
    kind,
    name,
    size: list.length,
    child: (index) => internal(list[index]!),
    concurrency: list.length,
    settle: kind === "allSettled",
  });
}

/**
 * Runs operations and branches concurrently and returns their results as a typed tuple, in order. Fails on the first
 * failure: the others are dropped and their results never recorded.
 *
 * @example
 * ```ts
 * const [stock, price] = yield* all([step("stock", checkStock), step("price", quote)]);
 * ```
 */
export function all<const T extends readonly Yieldable<unknown>[]>(operations: T, options: GroupOptions = {}): Yieldable<Results<T>> {
  return group("all", operations, options);
}

/**
 * Runs operations and branches concurrently; the first to settle wins and is recorded, the rest are dropped (their
 * timers and waits go; a losing step still running is not recorded). Returns `{ index, value }` of the winner, or
 * throws its error.
 *
 * @example
 * ```ts
 * const { index } = yield* race([waitForEvent("approved"), sleep("24h")]);
 * if (index === 1) return "timed out";
 * ```
 * @throws ValidationError for an empty list.
 */
export function race<const T extends readonly Yieldable<unknown>[]>(
  operations: T,
  options: GroupOptions = {},
): Yieldable<{ index: number; value: Results<T>[number] }> {
  if (Array.isArray(operations) && operations.length === 0) {
    throw new ValidationError("race([]): a race needs at least one operation.");
  }
  return group("race", operations, options);
}

/**
 * Runs operations and branches concurrently and reports each outcome, success or failure, in order.
 *
 * @example
 * ```ts
 * const outcomes = yield* allSettled(ids.map((id) => step(`notify-${id}`, () => notify(id))));
 * const failed = outcomes.filter((o) => o.status === "rejected").length;
 * ```
 */
export function allSettled<const T extends readonly Yieldable<unknown>[]>(
  operations: T,
  options: GroupOptions = {},
): Yieldable<{ -readonly [K in keyof T]: Settled<T[K] extends Yieldable<infer R> ? R : never> }> {
  return group("allSettled", operations, options);
}

/**
 * A sub-workflow to run as one child of all/race/allSettled/map, with its own operation-id scope.
 *
 * @example
 * ```ts
 * const [a, b] = yield* all([
 *   branch(async function* () { const x = yield* step("a1", f); return yield* step("a2", () => g(x)); }),
 *   step("b", h),
 * ]);
 * ```
 */
export function branch<R>(body: () => AsyncGenerator<Envelope, R, unknown>, name = "branch"): Yieldable<R> {
  if (typeof body !== "function") {
    throw new ValidationError("branch(body): the body must be an async generator function (async function*).");
  }
  requireName("branch", name);
  return operation({ kind: "branch", name, body: body as unknown as () => AsyncGenerator<CoreEnvelope, unknown, unknown> });
}

/**
 * Fans out over a list: `fn(item, index)` gives each item's operation (a step, a branch, a child...), at most
 * `concurrency` in flight. Results come back in input order. Fails fast on the first failure; `mapSettled` reports
 * every outcome instead. Linear in the number of items: children are built only when they start.
 *
 * @example
 * ```ts
 * const sizes = yield* map(partitions, (p) => step(`transform-${p}`, () => transform(p)), { concurrency: 50 });
 * ```
 * @throws ValidationError for a bad list or concurrency.
 */
export function map<I, R>(
  items: readonly I[],
  fn: (item: I, index: number) => Yieldable<R>,
  options: MapOptions = {},
): Yieldable<R[]> {
  return mapGroup(items, fn, options, false);
}

/**
 * Like map, but settles every item and reports each outcome (as allSettled does) instead of failing fast.
 *
 * @example
 * ```ts
 * const outcomes = yield* mapSettled(users, (u) => step(`email-${u.id}`, () => email(u)), { concurrency: 20 });
 * ```
 */
export function mapSettled<I, R>(
  items: readonly I[],
  fn: (item: I, index: number) => Yieldable<R>,
  options: MapOptions = {},
): Yieldable<Settled<R>[]> {
  return mapGroup(items, fn, options, true);
}

function mapGroup<I, T>(
  items: readonly I[],
  fn: (item: I, index: number) => Yieldable<unknown>,
  options: MapOptions,
  settle: boolean,
): Yieldable<T> {
  if (!Array.isArray(items)) throw new ValidationError("map(items, fn): items must be an array.");
  if (typeof fn !== "function") throw new ValidationError("map(items, fn): fn must return an operation for each item.");
  const concurrency = options.concurrency ?? 10;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ValidationError(`map: concurrency must be a whole number of at least 1, got ${concurrency}.`);
  }
  const name = options.name ?? "map";
  requireName("map", name);
  return operation({ kind: "map", name, size: items.length, child: (index) => internal(fn(items[index]!, index)), concurrency, settle });
}

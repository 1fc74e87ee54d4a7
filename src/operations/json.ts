// The types of values that cross a yield. Such values are stored as JSON text and the body receives the decoded copy
// (src/core/codec.ts), so a step that returns a Date gives the body a string. `Jsonify<T>` is the type of that copy.
// What the codec refuses at run time (functions, symbols, BigInts, Maps, Sets, promises) is refused at compile time
// where the value is produced: `JsonCheck<T>` turns a step's function, a callback's `send` or a workflow's body into a
// type error that names what is not JSON data.

/** Values JSON keeps as they are. */
type JsonPrimitive = string | number | boolean | null;

/** JSON data spelled as a type (type aliases of plain data match it; interfaces have no index signature and do not). */
type JsonData = JsonPrimitive | readonly JsonData[] | { readonly [key: string]: JsonData };

/** True for `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * The type of a value after a JSON round trip through Spindle's codec: what a workflow body receives for a step's
 * result, a child's result, an event payload or a callback value typed from the workflow's declarations, and what
 * `result()` resolves to. A `Date` (any value with `toJSON`) becomes what `toJSON` returns (a string); a property
 * that may be `undefined` becomes optional, and one that is always `undefined` goes; an `undefined` array element
 * becomes `null`. What the codec refuses (functions, symbols, BigInts, Maps, Sets, promises) becomes `never`; where a
 * value is produced (a step's function, a workflow's body), the compiler refuses it first. A type that JSON keeps as
 * it is comes back unchanged, under its own name.
 *
 * @example
 * ```ts
 * const placed = yield* step("placed", () => new Date()); // string
 * const saved: Jsonify<{ id: string; at: Date; note: string | undefined }> = yield* step("load", () => orders.get(id));
 * saved.at.slice(0, 10); // saved: { id: string; at: string; note?: string }
 * ```
 */
export type Jsonify<T> =
  IsAny<T> extends true ? any : [T] extends [JsonifyValue<T>] ? ([JsonifyValue<T>] extends [T] ? T : JsonifyValue<T>) : JsonifyValue<T>;

/**
 * Jsonify without the check that keeps a type's own name; it distributes over unions. Nested values use it too:
 * object properties are resolved lazily, and plain JSON data is returned as it is, so recursive types (a tree, a
 * JSON value type) do not recurse for ever.
 */
type JsonifyValue<T> = unknown extends T
  ? T
  : T extends JsonData | undefined | void
    ? T
    : T extends bigint | symbol | ((...args: never[]) => unknown)
      ? never
      : T extends { toJSON(...args: never[]): infer J }
        ? JsonifyValue<J>
        : T extends ReadonlyMap<unknown, unknown> | ReadonlySet<unknown> | WeakMap<object, unknown> | WeakSet<object> | PromiseLike<unknown>
          ? never
          : T extends readonly unknown[]
            ? { [K in keyof T]: JsonifyElement<T[K]> }
            : T extends object
              ? JsonifyObject<T>
              : never;

/** An array element: `undefined` is written as `null`. */
type JsonifyElement<E> = unknown extends E ? E : undefined extends E ? JsonifyValue<Exclude<E, undefined>> | null : JsonifyValue<E>;

/** Keys JSON writes whenever the object has them (string keys whose value is never `undefined`). */
type PresentKey<T, K extends keyof T> = K extends symbol ? never : unknown extends T[K] ? K : undefined extends T[K] ? never : K;
/** Keys JSON drops when their value is `undefined`; a key that is always `undefined` is always dropped. */
type OmittableKey<T, K extends keyof T> = K extends symbol
  ? never
  : unknown extends T[K]
    ? never
    : undefined extends T[K]
      ? [Exclude<T[K], undefined | void>] extends [never]
        ? never
        : K
      : never;

/** An object's properties after JSON; the two mapped types keep `readonly`, and Flatten merges them. */
type JsonifyObject<T> = Flatten<
  { [K in keyof T as PresentKey<T, K>]: JsonifyValue<T[K]> } & {
    [K in keyof T as OmittableKey<T, K>]?: JsonifyValue<Exclude<T[K], undefined | void>>;
  }
>;

/** One object type from an intersection (`& {}` makes editors show the properties, not this alias). */
type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** Levels `NotJson` looks into before it stops (recursive types are checked this deep). */
type Depth = [unknown, unknown, unknown, unknown, unknown, unknown, unknown, unknown];

/**
 * What in `T` the codec would refuse, as descriptions (a union of strings), or `never` when nothing is. `any` and
 * `unknown` are not refused: their contents are not known until run time. With `Exact`, values JSON changes (a Date,
 * anything with `toJSON`) are refused too: for a type that must describe the decoded copy itself.
 */
export type NotJson<T, Seen extends unknown[] = [], Exact extends boolean = false> = Seen["length"] extends Depth["length"]
  ? never
  : unknown extends T
    ? never
    : T extends JsonData | undefined | void
      ? never
      : T extends bigint
        ? "a BigInt (convert it to a string)"
        : T extends symbol
          ? "a symbol"
          : T extends (...args: never[]) => unknown
            ? "a function"
            : T extends { toJSON(...args: never[]): infer J }
              ? Exact extends true
                ? "a Date or another value with toJSON, which arrives as its JSON (type it as a string)"
                : NotJson<J, [...Seen, unknown], Exact>
              : T extends ReadonlyMap<unknown, unknown> | WeakMap<object, unknown>
                ? "a Map (convert it to an object or an array of entries)"
                : T extends ReadonlySet<unknown> | WeakSet<object>
                  ? "a Set (convert it to an array)"
                  : T extends PromiseLike<unknown>
                    ? "a promise (await it)"
                    : T extends readonly unknown[]
                      ? NotJson<T[number], [...Seen, unknown], Exact>
                      : { [K in keyof T]-?: K extends symbol ? never : NotJson<T[K], [...Seen, unknown], Exact> }[keyof T];

/**
 * The compile-time refusal: a type no function can satisfy, whose one property says what is not JSON data.
 *
 * @example
 * ```ts
 * // error: Property '"not JSON data: values that cross a yield are stored as JSON"' is missing ... "a Map (...)"
 * yield* step("counts", () => new Map([["a", 1]]));
 * ```
 */
export interface NotJsonData<What> {
  "not JSON data: values that cross a yield are stored as JSON": What;
}

/** `unknown` (no constraint) when `T` is JSON data, else `NotJsonData` naming what is not. */
export type JsonCheck<T> = [NotJson<T>] extends [never] ? unknown : NotJsonData<NotJson<T>>;

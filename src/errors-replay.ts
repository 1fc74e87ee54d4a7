// NonDeterminismError and the divergence it carries (where code and history differ, both sides as data, for
// `spindle check` and the console). Kept beside errors.ts (which re-exports it and revives it from records) so that
// file stays one screen of the tree per class.
import type { SpindleErrorOptions } from "./error-base.js";
import { identify, SpindleError } from "./error-base.js";

/**
 * Today's code does not match the recorded history (a step was added, removed, renamed or reordered without
 * `patched`). Thrown before any new effect runs; nothing is recorded. Deploy the old code back, or guard the change.
 *
 * @example
 * ```ts
 * await expect(replayHistory(order, recorded)).rejects.toBeInstanceOf(NonDeterminismError);
 * ```
 */
export class NonDeterminismError extends SpindleError {
  static {
    identify(this, "NonDeterminismError");
  }

  override readonly code = "NON_DETERMINISM" as const;
  /** The id of the first operation where code and history differ (`"-"`: the execution's ending), when known. */
  readonly opId?: string;
  /** What the history holds there, when known. */
  readonly expected?: DivergenceSide;
  /** What the code does there now, when known. */
  readonly found?: DivergenceSide;
  constructor(message: string, options: SpindleErrorOptions & Divergence = {}) {
    super(message, options);
    if (options.opId !== undefined) this.opId = options.opId;
    if (options.expected !== undefined) this.expected = options.expected;
    if (options.found !== undefined) this.found = options.found;
  }
}

/**
 * One side of a divergence between code and history: an operation (its kind and name), or something else said in
 * words (the code ended, the history ends). `text` always says it, as the error's message does.
 *
 * @example
 * ```ts
 * const recorded: DivergenceSide = { kind: "step", name: "b", text: "step 'b'" };
 * const now: DivergenceSide = { text: "the code ended there" };
 * ```
 */
export interface DivergenceSide {
  /** The operation's kind (`"step"`, `"sleep"`, `"all"`, ...), when this side is an operation. */
  kind?: string;
  /** The operation's name, when this side is an operation. */
  name?: string;
  /** This side in words: `step 'b'`, `all 'fan' of 2 branches`, `the code ended there`. */
  text: string;
}

/**
 * Where and how code and history differ, as a NonDeterminismError carries it.
 *
 * @example
 * ```ts
 * const where: Divergence = { opId: "1", expected: { kind: "step", name: "b", text: "step 'b'" }, found: { kind: "step", name: "b2", text: "step 'b2'" } };
 * ```
 */
export interface Divergence {
  opId?: string;
  expected?: DivergenceSide;
  found?: DivergenceSide;
}

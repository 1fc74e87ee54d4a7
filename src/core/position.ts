// Where an operation is: its scope (the workflow body "" or a group's child "3.1") and its index there. Operation ids
// are built from them ("3.1.0") and parsed back for the root scope's fast index.
import type { Command } from "./yieldable.js";

/** An operation-id scope: the workflow body ("") or a group's child ("3.1"). */
export class Scope {
  /** Index of the next operation in this scope. */
  counter = 0;
  /** Received the execution's cancellation. */
  cancelled = false;

  constructor(
    readonly prefix: string,
    /** Opened after the cancellation was delivered (compensation code): it is not cancelled again. */
    readonly afterCancel: boolean,
    /** The scope of the fiber that started this one's group. */
    readonly parent?: Scope,
  ) {}

  opId(index: number): string {
    return this.prefix === "" ? String(index) : `${this.prefix}.${index}`;
  }
}

/** Where an operation is: its scope, its index there, and the command the code yielded. */
export class Position {
  private id: string | undefined;

  constructor(
    readonly scope: Scope,
    readonly index: number,
    readonly command: Command,
  ) {}

  get opId(): string {
    return (this.id ??= this.scope.opId(this.index));
  }

  describe(): string {
    return `${this.command.kind} '${this.command.name}' (#${this.opId})`;
  }
}

/** The position of a root-scope operation id ("0", "17"), or -1 for any other id. */
export function rootPosition(opId: string): number {
  const length = opId.length;
  if (length === 0 || length > 15 || (length > 1 && opId.charCodeAt(0) === 48)) return -1;
  let position = 0;
  for (let i = 0; i < length; i++) {
    const digit = opId.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    position = position * 10 + digit;
  }
  return position;
}

// The replayer's index of recorded operations: the events of each operation id, and how far each scope's recorded
// positions reach. The workflow body's scope is read with a cursor: its operations are recorded one after the other,
// and a replay asks for them in the same order, so the events of the operation asked for are the next ones of the
// history and no per-operation record outlives the question (a 10^5-event history builds no 10^5-entry index). A
// history whose body operations are recorded out of order, or a question about an operation the cursor has passed,
// switches to a full index by position. Operations of groups' branches (nested scopes, whose fibers interleave) are
// indexed by id. Pure: no I/O, no clock.
import type { HistoryEvent } from "./history.js";
import { EXECUTION_OP } from "./history-check.js";
import type { OpRecord } from "./handlers/prelude.js";
import { rootPosition } from "./position.js";

/** The recorded operations of one run, by operation id. */
export class OpIndex {
  /** Operations of nested scopes by id. */
  private readonly nested = new Map<string, OpRecord>();
  /** Per nested scope prefix: one past its highest recorded position. */
  private readonly nestedExtents = new Map<string, number>();
  /** One past the highest recorded position of the body's scope. */
  private rootExtent = 0;
  /** The body's operations by position, once the cursor gave way (undefined while it reads). */
  private byPosition: (OpRecord | undefined)[] | undefined;
  /** The live events the index was opened on, and each one's body position (-1 for any other event), read once. */
  private readonly loaded: readonly HistoryEvent[];
  private readonly positions: Float64Array;
  /** The next loaded event the cursor reads. */
  private cursor = 0;
  /** The body position the cursor is at, and its record (undefined when nothing is recorded there). */
  private cursorAt = -1;
  private current: OpRecord | undefined;
  /** Body operations' events indexed since loading, kept while the cursor reads (for a switch to byPosition). */
  private added: HistoryEvent[] = [];

  /**
   * Opens the index on a run's live events (redrive.ts's liveEvents). Each event is also handed to `visit` as it is
   * read, so the replayer's other bookkeeping takes the same pass (a long history is read from memory once).
   */
  constructor(events: readonly HistoryEvent[], visit: (event: HistoryEvent) => void) {
    this.loaded = events;
    const positions = (this.positions = new Float64Array(events.length));
    let last = -1;
    let ordered = true;
    let highest = -1;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      visit(event);
      const operation = isOperationEvent(event);
      const position = operation ? rootPosition(event.opId) : -1;
      positions[i] = position;
      if (position < 0) {
        if (operation) this.addNested(event);
        continue;
      }
      if (position < last) ordered = false;
      else if (position > highest) highest = position;
      last = position;
    }
    this.rootExtent = highest + 1;
    if (!ordered) this.indexByPosition();
  }

  /** The record of the body's operation at `position`, if anything is recorded there. */
  root(position: number): OpRecord | undefined {
    if (this.byPosition) return this.byPosition[position];
    if (position === this.cursorAt) return this.current;
    if (position < this.cursorAt) {
      this.indexByPosition();
      return this.byPosition![position];
    }
    this.moveTo(position);
    return this.current;
  }

  /** The record of operation `opId` (any scope), if anything is recorded for it. */
  get(opId: string): OpRecord | undefined {
    const position = rootPosition(opId);
    return position >= 0 ? this.root(position) : this.nested.get(opId);
  }

  /** One past the highest recorded position in the scope `prefix` ("" for the body). */
  extent(prefix: string): number {
    return prefix === "" ? this.rootExtent : (this.nestedExtents.get(prefix) ?? 0);
  }

  /** Indexes an event recorded after loading (its operation's record gains it). */
  add(event: HistoryEvent): void {
    if (!isOperationEvent(event)) return;
    const position = rootPosition(event.opId);
    if (position < 0) {
      this.addNested(event);
      return;
    }
    if (position + 1 > this.rootExtent) this.rootExtent = position + 1;
    if (!this.byPosition && position !== this.cursorAt) this.root(position); // the cursor moves there, or gives way
    if (this.byPosition) {
      addTo(this.byPosition, position, event);
      return;
    }
    this.added.push(event);
    if (this.current) this.current.events.push(event);
    else this.current = { kind: event.kind, name: event.name, events: [event] };
  }

  /** Takes `event` back out of its operation's record (an inbox event given back before it was written). */
  remove(event: HistoryEvent): void {
    const op = this.get(event.opId);
    if (op) op.events = op.events.filter((other) => other !== event);
    if (!this.byPosition && rootPosition(event.opId) >= 0) this.added = this.added.filter((other) => other !== event);
  }

  /** Reads the loaded events up to the body's operation at `position` (which is past the cursor's). */
  private moveTo(position: number): void {
    const events = this.loaded;
    const positions = this.positions;
    let record: OpRecord | undefined;
    let i = this.cursor;
    for (; i < events.length; i++) {
      const at = positions[i]!;
      if (at < position) continue; // not a body operation's event, or one of a position never asked for
      if (at > position) break;
      const event = events[i]!;
      if (record) record.events.push(event);
      else record = { kind: event.kind, name: event.name, events: [event] };
    }
    this.cursor = i;
    this.cursorAt = position;
    this.current = record;
  }

  /** Gives up the cursor: every body operation, loaded or added since, indexed by position. */
  private indexByPosition(): void {
    const byPosition: (OpRecord | undefined)[] = [];
    for (const events of [this.loaded, this.added]) {
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        const position = isOperationEvent(event) ? rootPosition(event.opId) : -1;
        if (position >= 0) addTo(byPosition, position, event);
      }
    }
    this.byPosition = byPosition;
    this.added = [];
    this.current = undefined;
  }

  private addNested(event: HistoryEvent): void {
    const op = this.nested.get(event.opId);
    if (op) {
      op.events.push(event);
      return;
    }
    this.nested.set(event.opId, { kind: event.kind, name: event.name, events: [event] });
    const dot = event.opId.lastIndexOf(".");
    const scope = event.opId.slice(0, dot);
    const position = Number(event.opId.slice(dot + 1));
    if (position + 1 > (this.nestedExtents.get(scope) ?? 0)) this.nestedExtents.set(scope, position + 1);
  }
}

/** True for an event of an operation (not the execution's own events, nor a patch marker, which has no position). */
function isOperationEvent(event: HistoryEvent): boolean {
  return event.opId !== EXECUTION_OP && event.type !== "PatchMarker";
}

function addTo(byPosition: (OpRecord | undefined)[], position: number, event: HistoryEvent): void {
  const op = byPosition[position];
  if (op) op.events.push(event);
  else byPosition[position] = { kind: event.kind, name: event.name, events: [event] };
}

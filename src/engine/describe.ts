// What callers see of an execution: describe/list output, and the outcome result() returns or throws.
import { decodeValue } from "../core/codec.js";
import type { ErrorRecord } from "../core/error-record.js";
import { reviveError } from "../core/error-record.js";
import type { WaitInfo } from "../core/replayer.js";
import { CancelledError } from "../errors.js";
import type { ExecutionRecord, ExecutionStatus } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";

/**
 * What `describe` and `list` report about an execution.
 *
 * @example
 * ```ts
 * const { status, waitingFor, wakeAt }: ExecutionDescription = await engine.describe("order-o-1");
 * ```
 */
export interface ExecutionDescription {
  id: string;
  workflow: string;
  runId: string;
  status: ExecutionStatus;
  input: unknown;
  result?: unknown;
  error?: ErrorRecord;
  customStatus?: unknown;
  /** What it waits for while suspended. */
  waitingFor: { kind: WaitInfo["kind"]; name: string; opId: string; until?: Date }[];
  /** When it will run next by itself. */
  wakeAt?: Date;
  createdAt: Date;
  updatedAt: Date;
  /** Events in the current run's history. */
  historyLength: number;
  /** Runs before the current one (each continueAsNew starts a new run). */
  runs: number;
  /** The execution that started this one as a child. */
  parent?: { executionId: string; opId: string };
  /**
   * Its turns that failed in a row (a poison execution): how many, the last reason, and when the next try is (none
   * once it is `stuck`; then `engine.redrive` puts it back).
   */
  turnFailures?: { count: number; reason: string; code?: string; nextAttemptAt?: Date };
}

/** The public view of a record. */
export function describeRecord(record: ExecutionRecord): ExecutionDescription {
  const description: ExecutionDescription = {
    id: record.id,
    workflow: record.workflow,
    runId: record.runId,
    status: record.status,
    input: decodeValue(record.input),
    waitingFor: record.waitingFor.map((wait) => ({
      kind: wait.kind,
      name: wait.name,
      opId: wait.opId,
      ...(wait.until === undefined ? {} : { until: new Date(wait.until) }),
    })),
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    historyLength: record.version,
    runs: record.runs,
  };
  if (record.parent !== undefined) description.parent = { ...record.parent };
  if (record.result !== undefined) description.result = decodeValue(record.result);
  if (record.error !== undefined) description.error = record.error;
  if (record.customStatus !== undefined) description.customStatus = decodeValue(record.customStatus);
  const failures = record.turnFailures;
  if (failures !== undefined) {
    description.turnFailures = { count: failures.count, reason: failures.reason };
    if (failures.code !== undefined) description.turnFailures.code = failures.code;
    if (failures.nextAttemptAt !== undefined) description.turnFailures.nextAttemptAt = new Date(failures.nextAttemptAt);
  }
  if (record.wakeAt !== undefined && !CLOSED_STATUSES.has(record.status)) description.wakeAt = new Date(record.wakeAt);
  return description;
}

export function outcomeOf(record: ExecutionRecord): unknown {
  switch (record.status) {
    case "completed":
      return decodeValue(record.result);
    case "failed":
      throw reviveError(record.error ?? { name: "Error", message: `execution '${record.id}' failed` });
    default:
      throw new CancelledError(
        `Execution '${record.id}' was ${record.status === "terminated" ? "terminated" : "cancelled"}; it has no result.`,
        { executionId: record.id },
      );
  }
}

// What the engine's helpers (children, callbacks) need from it: a narrow view, so they live in their own files.
import type { HistoryEvent } from "../core/history.js";
import type { HistoryStore } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { Clock } from "./clock.js";
import type { TracingDeps } from "./tracing.js";

/** The engine as its helpers see it. */
export interface EngineContext {
  readonly store: HistoryStore;
  readonly clock: Clock;
  ulid(): string;
  /** @throws WorkflowNotFoundError */
  lookup(name: string, executionId: string): AnyWorkflow;
  history(id: string): Promise<HistoryEvent[]>;
  /** New inbox items for an execution: signal its running turn and run one (in-process mode). */
  inboxChanged(id: string): void;
  /** Runs turns for an execution in the background (in-process mode). */
  kick(id: string): void;
  /** The engine's tracing (tracing.ts), if it traces. */
  readonly tracing: TracingDeps;
}

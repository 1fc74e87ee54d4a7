// The `spindle/testing` entry point: the test engine, replay checks and the deploy gate (checkExecutions), timeline
// printing and the store conformance suite.
export { createTestEngine, TestEngine, TestStalledError } from "./test-engine.js";
export type { TestEngineOptions } from "./test-engine.js";
export { VirtualClock } from "./virtual-clock.js";
export { replayHistory } from "./replay-check.js";
export type { PatchAnswer, ReplayReport } from "./replay-check.js";
export { checkExecutions, formatCheckReport } from "../check/index.js";
export type { CheckedHistory, CheckOptions, CheckProgress, CheckReport, ExecutionCheck, PatchUsage } from "../check/index.js";
export { formatTimeline } from "./format.js";
export { runStoreConformance, sampleExecution, sampleSteps } from "./conformance.js";
export type { ConformanceOptions } from "./conformance.js";
export type { TestApi, TestAssertion, TestContextLike, TestMatchers, TestRejectsAssertion } from "./test-api.js";
export { FaultStore, InjectedCrash, InjectedFault, faultAt, randomFaults, type Fault, type FaultPlan, type FaultRates, type FaultStats, type FaultStoreOptions, type StoreCall } from "./fault-store.js";

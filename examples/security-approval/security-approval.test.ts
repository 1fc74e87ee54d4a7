// Pins the security-approval example: the three paths (policy, security team, escalation), the audit trail, the
// stages describe() shows, the refusal when nobody decides, and the golden history.
import { describe, expect, it } from "vitest";
import { NonDeterminismError, ValidationError } from "../../src/index.js";
import { createTestEngine, replayHistory } from "../../src/testing/index.js";
import { renameOperation } from "../support/golden.js";
import { runAccessDesk } from "./scenario.js";
import golden from "./security-approval.history.json" with { type: "json" };
import type { AccessRequest } from "./security-approval.workflow.js";
import { accessRequestWorkflow, createAccessServices } from "./security-approval.workflow.js";

const payroll: AccessRequest = {
  requestId: "r-1",
  user: "cleo",
  resource: "payroll:export",
  reason: "audit",
  contractor: false,
  manager: "maria",
};

function desk() {
  const services = createAccessServices(() => t.now());
  const requestWorkflow = accessRequestWorkflow(services);
  const t = createTestEngine({ workflows: [requestWorkflow] });
  const start = async (request: AccessRequest) => {
    const run = await t.start(requestWorkflow, request, { id: request.requestId });
    await t.idle();
    return run;
  };
  return { services, t, start };
}

describe("security-approval: the scenario", () => {
  it("grants by policy, grants on the security team's word, and rejects on the manager's after escalation", async () => {
    const { t, services } = await runAccessDesk({ narrate: false });
    expect(await t.result("access-101")).toMatchObject({ decision: "granted", decidedBy: "policy", riskScore: 10 });
    expect(await t.result("access-102")).toMatchObject({ decision: "granted", decidedBy: "sam (security)" });
    expect(await t.result("access-103")).toMatchObject({ decision: "rejected", decidedBy: "maria", riskScore: 95 });
    expect([...services.grants.keys()].sort()).toEqual(["access-101", "access-102"]);
    const trail = (id: string) => services.audit.filter((e) => e.requestId === id).map((e) => `${e.at} ${e.event}`);
    expect(trail("access-103")).toEqual([
      "2026-03-02T09:10:00.000Z risk-assessed",
      "2026-03-03T09:10:00.000Z escalated",
      "2026-03-03T11:00:00.000Z rejected",
    ]);
    expect(trail("access-101")).toEqual(["2026-03-02T09:00:00.000Z risk-assessed", "2026-03-02T09:00:00.000Z granted"]);
  });
});

describe("security-approval: one request", () => {
  it("shows its stage through describe while it waits, and escalates exactly 24 hours after the review was asked", async () => {
    const { services, t, start } = desk();
    await start(payroll);
    expect((await t.describe("r-1")).customStatus).toEqual({ stage: "awaiting-security", riskScore: 80 });
    expect(services.reviews.map((r) => r.queue)).toEqual(["security"]);
    await t.advanceTime("23h59m");
    expect((await t.describe("r-1")).customStatus).toMatchObject({ stage: "awaiting-security" });
    await t.advanceTime("1m");
    expect((await t.describe("r-1")).customStatus).toEqual({ stage: "escalated", riskScore: 80, to: "maria" });
    expect(services.reviews.map((r) => `${r.queue}:${r.reviewer ?? ""}`)).toEqual(["security:", "manager:maria"]);
  });

  it("is rejected by policy, never granted, when neither the security team nor the manager decides in 48 hours", async () => {
    const { services, t, start } = desk();
    const run = await start(payroll);
    expect(await run.result()).toEqual({
      requestId: "r-1",
      decision: "rejected",
      decidedBy: "policy",
      riskScore: 80,
      note: "no decision within 48h",
    });
    expect(t.now().toISOString()).toBe("2026-01-03T00:00:00.000Z");
    expect(services.grants.size).toBe(0);
    expect(services.audit.map((e) => e.event)).toEqual(["risk-assessed", "escalated", "rejected"]);
  });

  it("refuses a malformed decision and keeps the token valid for a proper one", async () => {
    const { services, t, start } = desk();
    const run = await start(payroll);
    const token = services.reviews[0]!.token;
    await expect(t.completeCallback(token, { approved: "yes" })).rejects.toBeInstanceOf(ValidationError);
    await t.completeCallback(token, { approved: true, reviewer: "sam" });
    expect(await run.result()).toMatchObject({ decision: "granted", decidedBy: "sam" });
    expect(services.grants.get("r-1")).toEqual({ user: "cleo", resource: "payroll:export" });
  });
});

describe("security-approval: golden history", () => {
  const requestWorkflow = accessRequestWorkflow(createAccessServices(() => new Date(0)));

  it("replays the recorded history of an escalated, rejected request against today's code", async () => {
    expect(await replayHistory(requestWorkflow, golden)).toMatchObject({ outcome: "completed", events: golden.length });
  });

  it("rejects the history once the escalation's audit step has been renamed", async () => {
    const edited = renameOperation(golden, "audit-escalated", "audit-escalation");
    await expect(replayHistory(requestWorkflow, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});

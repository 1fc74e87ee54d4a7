// The access desk behind `npm run example -- security-approval`: three requests on a Monday morning. A wiki reader
// is granted at once; a production database admin is approved by the security team three hours later; a contractor
// asking for the payroll export hears nothing from security for a day, is escalated to her manager, and refused.
// A dashboard reads each request's stage through describe() on the way.
import type { TestEngine } from "../../src/testing/index.js";
import { createTestEngine } from "../../src/testing/index.js";
import { Agenda, minutes } from "../support/agenda.js";
import { createNarrator } from "../support/narrate.js";
import type { AccessRequest, AccessServices, Decision } from "./security-approval.workflow.js";
import { accessRequestWorkflow, createAccessServices } from "./security-approval.workflow.js";

/** Monday 09:00 UTC. */
export const START = new Date("2026-03-02T09:00:00Z");

export const REQUESTS: readonly (AccessRequest & { at: number })[] = [
  { at: 0, requestId: "access-101", user: "ana", resource: "wiki:read", reason: "onboarding", contractor: false, manager: "maria" },
  { at: 5, requestId: "access-102", user: "ben", resource: "prod-db:admin", reason: "on-call rotation", contractor: false, manager: "maria" },
  { at: 10, requestId: "access-103", user: "cleo", resource: "payroll:export", reason: "audit prep", contractor: true, manager: "maria" },
];

/** The humans' answers: minutes after START, which queue, which request, what they decide. */
export const DECISIONS: readonly { at: number; queue: "security" | "manager"; requestId: string; decision: Decision }[] = [
  { at: 185, queue: "security", requestId: "access-102", decision: { approved: true, reviewer: "sam (security)" } },
  {
    at: 24 * 60 + 120,
    queue: "manager",
    requestId: "access-103",
    decision: { approved: false, reviewer: "maria", note: "payroll exports go through finance" },
  },
];

/** When the dashboard looks at the requests in flight (minutes after START). */
const DASHBOARD_AT = [60, 24 * 60 + 30];

export interface AccessDesk {
  t: TestEngine;
  services: AccessServices;
  requestWorkflow: ReturnType<typeof accessRequestWorkflow>;
}

/** Runs the scenario to the last decision; `narrate` prints it as it happens. */
export async function runAccessDesk(options: { narrate: boolean }): Promise<AccessDesk> {
  const services = createAccessServices(() => t.now());
  const requestWorkflow = accessRequestWorkflow(services);
  const narrator = options.narrate ? createNarrator(() => t.now(), 10) : undefined;
  const t = createTestEngine({ workflows: [requestWorkflow], startAt: START, ...(narrator ? { logger: narrator.logger } : {}) });
  const say = narrator?.say ?? (() => {});
  const agenda = new Agenda(t);

  for (const { at, ...request } of REQUESTS) {
    agenda.at(START.getTime() + minutes(at), async () => {
      say(request.user, `requests ${request.resource} (${request.reason})`);
      await t.start(requestWorkflow, request, { id: request.requestId });
    });
  }
  for (const { at, queue, requestId, decision } of DECISIONS) {
    agenda.at(START.getTime() + minutes(at), async () => {
      const review = services.reviews.find((r) => r.queue === queue && r.requestId === requestId);
      if (!review) throw new Error(`No ${queue} review of ${requestId} is waiting: the scenario is out of step.`);
      say(decision.reviewer.split(" ")[0]!, `${decision.approved ? "approves" : "rejects"} ${requestId}`);
      await t.completeCallback(review.token, decision);
    });
  }
  for (const at of DASHBOARD_AT) agenda.at(START.getTime() + minutes(at), () => dashboard(t, say));

  await agenda.run();
  return { t, services, requestWorkflow };
}

/** What a status page shows: every open request and its stage, straight from describe(). */
async function dashboard(t: TestEngine, say: (who: string, message: string) => void): Promise<void> {
  const { executions } = await t.list({ status: "suspended" });
  say("dashboard", `${executions.length} open request${executions.length === 1 ? "" : "s"}:`);
  for (const execution of [...executions].sort((a, b) => a.id.localeCompare(b.id))) {
    say("dashboard", `  ${execution.id}  ${JSON.stringify(execution.customStatus)}`);
  }
}

/** The golden history (`npx tsx examples/record-golden.ts security-approval`): the escalated, rejected request. */
export async function recordGolden() {
  const desk = await runAccessDesk({ narrate: false });
  return desk.t.history("access-103");
}

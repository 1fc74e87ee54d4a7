// Fixtures shared by the hostile-input cases (hostile-cases.ts, hostile-messages.ts, hostile-values.ts): the
// workflows every case's engine registers, and the checks that a workflow was not fooled.
import { z } from "zod";
import type { AnyWorkflow } from "spindle";
import { callback, child, waitForEvent, workflow } from "spindle";
import type { HostileEnv } from "./hostile-kit.js";
import { outcome, settle } from "./hostile-kit.js";

export const waiter = workflow("hostile-waiter", async function* () {
  return yield* waitForEvent<unknown>("go");
});
export const declared = workflow(
  "hostile-declared",
  { events: { go: z.object({ by: z.string() }) } },
  async function* (_input: unknown, ctx) {
    return yield* ctx.waitForEvent("go");
  },
);
export const approver = workflow("hostile-approver", async function* () {
  return yield* callback<unknown>("approve", () => undefined);
});
export const kid = workflow("hostile-kid", async function* () {
  yield* waitForEvent("release");
  return "the real child result";
});
export const parent = workflow("hostile-parent", async function* () {
  return yield* child(kid, undefined);
});

/** The workflows every case's engine knows. */
export const FIXTURES: readonly AnyWorkflow[] = [waiter, declared, approver, kid, parent];

export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Checks that the callback of `id` still takes the real token, and the workflow returns its value. */
export async function tokenStillValid(env: HostileEnv, id: string, token: string): Promise<string | undefined> {
  const engine = env.engine();
  try {
    await engine.completeCallback(token, { ok: true });
  } catch (error) {
    return `the real token was refused afterwards (${(error as Error).name})`;
  }
  await settle(env, engine, [id]);
  const seen = await outcome(env, id);
  return same(seen.result, { ok: true }) ? undefined : `the workflow ended ${JSON.stringify(seen)} after the real completion`;
}

/** Checks that `id` still waits (was not fooled), then that sending `real` completes it with `expect`. */
export async function stillWaits(env: HostileEnv, id: string, waitsFor: () => Promise<unknown>, expect: unknown): Promise<{ problem?: string; note: string }> {
  const engine = env.engine();
  const errors = await settle(env, engine, [id]);
  if (errors.length > 0) return { problem: `a resume threw ${(errors[0] as Error).name}`, note: "" };
  const between = await outcome(env, id);
  if (between.status !== "suspended") return { problem: `the forged message ended the wait: ${JSON.stringify(between)}`, note: "" };
  await waitsFor();
  await settle(env, engine, [id]);
  const end = await outcome(env, id);
  if (!same(end.result, expect)) return { problem: `after the real message: ${JSON.stringify(end)}`, note: "" };
  return { note: "stored as an ordinary event; the workflow was not fooled and took the real message" };
}


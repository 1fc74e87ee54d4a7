// A composed workflow whose recorded history is kept in booking.history.json: groups, map, race, a callback and a
// child. The golden-history test replays that file against this code on every run.
import { z } from "zod";
import { all, branch, callback, child, map, race, sleep, step, waitForEvent, workflow } from "spindle";

export const invoice = workflow("invoice", { input: z.object({ total: z.number() }) }, async function* (input) {
  return yield* step("issue", () => `INV-${input.total}`);
});

export const booking = workflow("booking", { input: z.object({ seats: z.array(z.string()) }) }, async function* (input, ctx) {
  const [flight, hotel] = yield* all([
    step("flight", () => "FL-1"),
    branch(async function* () {
      yield* sleep("1m");
      return yield* step("hotel", () => "HT-1");
    }),
  ]);
  const seats = yield* map(input.seats, (seat) => step(`seat-${seat}`, () => `${seat}-ok`), { concurrency: 2 });
  const confirmed = yield* race([waitForEvent<string>("confirmed"), sleep("1h")]);
  const approval = yield* callback<{ ok: boolean }>("approval", (token) => ctx.log.info(`token ${token.length}`));
  const receipt = yield* child(invoice, { total: seats.length * 100 });
  return { flight, hotel, seats, confirmed: confirmed.index === 0, approved: approval.ok, receipt };
});

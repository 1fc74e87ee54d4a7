// A turn that has just suspended may wait in process for a timer due soon (resume's maxWait), instead of ending and
// being resumed cold a moment later.
import type { TurnDeps, TurnOptions } from "./turn-types.js";

/**
 * After suspending: when the earliest timer (`at`) falls due within `maxWaitMs` and before the deadline, waits for it
 * (an event arriving in this process wakes the wait too). True when the turn should go on; false to end it.
 */
export async function waitForNearTimer(deps: TurnDeps, options: TurnOptions, at: number | undefined, id: string): Promise<boolean> {
  const maxWait = options.maxWaitMs ?? 0;
  const now = deps.clock.now();
  if (maxWait <= 0 || at === undefined || at - now > maxWait || (options.deadline !== undefined && at >= options.deadline)) {
    return false;
  }
  const stops: (() => void)[] = [];
  await new Promise<void>((resolve) => {
    stops.push(deps.clock.setTimer(at, resolve));
    if (deps.onInboxSignal) stops.push(deps.onInboxSignal(id, resolve));
  });
  for (const stop of stops) stop();
  return true;
}

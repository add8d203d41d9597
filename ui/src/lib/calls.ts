// Call-list logic that does not depend on rendering: which call is "the" call, call waiting.
import type { CallView } from "../bindings/CallView";
import type { CallPhase } from "../bindings/CallPhase";

const LIVE: ReadonlySet<CallPhase> = new Set(["calling", "ringing", "early", "established", "held", "remoteHeld"]);
const TALKING: ReadonlySet<CallPhase> = new Set(["established", "held", "remoteHeld"]);

export const isLive = (call: CallView) => LIVE.has(call.phase);
export const isTalking = (call: CallView) => TALKING.has(call.phase);
export const isRingingIn = (call: CallView) =>
  call.direction === "incoming" && (call.phase === "ringing" || call.phase === "early");

/** The ringing incoming call that Enter should answer: the oldest one. */
export function callToAnswer(calls: readonly CallView[]): CallView | null {
  const ringing = calls.filter(isRingingIn).sort((a, b) => a.startedAt - b.startedAt);
  return ringing[0] ?? null;
}

/** The call that keypad digits and the mute button act on: the one not on hold. */
export function activeCall(calls: readonly CallView[]): CallView | null {
  return calls.find((call) => call.phase === "established") ?? null;
}

/**
 * True when `next` brings a new ringing incoming call while another call is already live:
 * that is when the short call-waiting tone plays (checklist 83).
 */
export function isCallWaiting(prev: readonly CallView[], next: readonly CallView[]): boolean {
  const known = new Set(prev.map((call) => call.id));
  const fresh = next.filter((call) => isRingingIn(call) && !known.has(call.id));
  if (fresh.length === 0) return false;
  return next.some((call) => !fresh.includes(call) && isTalking(call));
}

const END_REASONS: Record<string, string> = {
  bye: "hangup",
  hangup: "hangup",
  busy: "busy",
  declined: "declined",
  not_found: "notFound",
  notFound: "notFound",
  cancelled: "cancelled",
  answered_elsewhere: "answeredElsewhere",
  no_answer: "noAnswer",
  noAnswer: "noAnswer",
  failed: "failed",
  interrupted: "interrupted",
  blocked: "blocked",
  transferred: "transferred",
};

/**
 * The i18n suffix (`call.ended.<suffix>`) for an end reason. The store writes snake_case words,
 * older contract text used camelCase; both are accepted. Unknown reasons give null.
 */
export function endReasonKey(reason: string | null): string | null {
  return reason !== null && Object.prototype.hasOwnProperty.call(END_REASONS, reason) ? END_REASONS[reason] ?? null : null;
}

/** New incoming calls in `next` that were not there before (for auto-answer). */
export function newIncoming(prev: readonly CallView[], next: readonly CallView[]): CallView[] {
  const known = new Set(prev.map((call) => call.id));
  return next.filter((call) => isRingingIn(call) && !known.has(call.id));
}

// When each call was first seen on hold (a running count, not a clock): the most recently held
// call is the one "Transfer here" acts on. Calls leave it when they are no longer held.
const heldSeen = new Map<number, number>();
let heldCount = 0;

/** Notes which calls are on hold now; call it with every new call list (MainView does). */
export function noteHeld(calls: readonly CallView[]): void {
  const held = calls.filter((call) => call.phase === "held");
  const ids = new Set(held.map((call) => call.id));
  for (const id of [...heldSeen.keys()]) if (!ids.has(id)) heldSeen.delete(id);
  // Calls first seen held together: the one started later counts as held later.
  for (const call of [...held].sort((a, b) => a.startedAt - b.startedAt || a.id - b.id)) {
    if (!heldSeen.has(call.id)) heldSeen.set(call.id, ++heldCount);
  }
}

/**
 * The call a "Transfer here" (or camp-on) button hands over: the most recently held call, or
 * when none is held my one answered call. Null when there is nothing, or several calls and
 * none of them held (which one would be a guess).
 */
export function transferCandidate(calls: readonly CallView[]): CallView | null {
  noteHeld(calls);
  const held = calls.filter((call) => call.phase === "held");
  if (held.length > 0) {
    return held.reduce((best, call) => ((heldSeen.get(call.id) ?? 0) > (heldSeen.get(best.id) ?? 0) ? call : best));
  }
  const active = calls.filter((call) => call.phase === "established" || call.phase === "remoteHeld");
  return active.length === 1 ? (active[0] ?? null) : null;
}

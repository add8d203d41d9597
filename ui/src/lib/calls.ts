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

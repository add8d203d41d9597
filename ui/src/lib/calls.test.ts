import { describe, expect, it } from "vitest";
import type { CallView } from "../bindings/CallView";
import { activeCall, callToAnswer, endReasonKey, isCallWaiting, newIncoming, noteHeld, transferCandidate } from "./calls";

function call(id: number, phase: CallView["phase"], direction: CallView["direction"] = "incoming", startedAt = id): CallView {
  return { id, direction, remote: `10${id}`, remoteName: null, phase, endReason: null, startedAt, answeredAt: null, muted: false, recording: false };
}

describe("call waiting", () => {
  it("is a new ringing incoming call while another call is in progress", () => {
    expect(isCallWaiting([call(1, "established")], [call(1, "established"), call(2, "ringing")])).toBe(true);
    expect(isCallWaiting([call(1, "held")], [call(1, "held"), call(2, "early")])).toBe(true);
  });
  it("is not the first call, an already known one, or an outgoing one", () => {
    expect(isCallWaiting([], [call(2, "ringing")])).toBe(false);
    const both = [call(1, "established"), call(2, "ringing")];
    expect(isCallWaiting(both, both)).toBe(false);
    expect(isCallWaiting([call(1, "established")], [call(1, "established"), call(3, "ringing", "outgoing")])).toBe(false);
  });
  it("does not count an ended call as in progress", () => {
    expect(isCallWaiting([call(1, "ended")], [call(1, "ended"), call(2, "ringing")])).toBe(false);
  });
});

describe("which call", () => {
  it("answers the oldest ringing incoming call", () => {
    expect(callToAnswer([call(5, "ringing", "incoming", 50), call(3, "ringing", "incoming", 30)])?.id).toBe(3);
    expect(callToAnswer([call(1, "ringing", "outgoing")])).toBeNull();
  });
  it("sends digits to the established call, not the held one", () => {
    expect(activeCall([call(1, "held"), call(2, "established")])?.id).toBe(2);
    expect(activeCall([call(1, "held")])).toBeNull();
  });
  it("lists only incoming calls that are new", () => {
    expect(newIncoming([call(1, "ringing")], [call(1, "ringing"), call(2, "ringing")]).map((c) => c.id)).toEqual([2]);
  });
});

describe("endReasonKey", () => {
  it("accepts the store's snake_case words and the camelCase ones", () => {
    expect(endReasonKey("bye")).toBe("hangup");
    expect(endReasonKey("not_found")).toBe("notFound");
    expect(endReasonKey("notFound")).toBe("notFound");
    expect(endReasonKey("no_answer")).toBe("noAnswer");
    expect(endReasonKey("answered_elsewhere")).toBe("answeredElsewhere");
    expect(endReasonKey("blocked")).toBe("blocked");
  });
  it("gives null for unknown or missing reasons, including prototype names", () => {
    expect(endReasonKey("gremlins")).toBeNull();
    expect(endReasonKey("constructor")).toBeNull();
    expect(endReasonKey(null)).toBeNull();
  });
});

describe("transferCandidate", () => {
  it("is my one answered call when none is held, and nothing otherwise", () => {
    expect(transferCandidate([])).toBeNull();
    expect(transferCandidate([call(1, "established")])?.id).toBe(1);
    expect(transferCandidate([call(1, "remoteHeld")])?.id).toBe(1);
    expect(transferCandidate([call(1, "ringing"), call(2, "calling", "outgoing")])).toBeNull();
    expect(transferCandidate([call(1, "established"), call(2, "remoteHeld")])).toBeNull();
    expect(transferCandidate([call(1, "ended")])).toBeNull();
  });

  it("is the most recently held call, even with another call going on", () => {
    noteHeld([call(1, "held"), call(2, "established")]);
    expect(transferCandidate([call(1, "held"), call(2, "established")])?.id).toBe(1);
    noteHeld([call(1, "held"), call(2, "held")]);
    expect(transferCandidate([call(1, "held"), call(2, "held")])?.id).toBe(2);
    // Call 1 resumed and held again.
    noteHeld([call(1, "established"), call(2, "held")]);
    expect(transferCandidate([call(1, "held"), call(2, "held")])?.id).toBe(1);
  });

  it("counts calls first seen held together in the order they started", () => {
    noteHeld([]);
    expect(transferCandidate([call(5, "held", "incoming", 50), call(4, "held", "incoming", 40)])?.id).toBe(5);
  });
});

import { describe, expect, it } from "vitest";
import type { CallView } from "../bindings/CallView";
import { activeCall, callToAnswer, endReasonKey, isCallWaiting, newIncoming } from "./calls";

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
  });
  it("gives null for unknown or missing reasons, including prototype names", () => {
    expect(endReasonKey("gremlins")).toBeNull();
    expect(endReasonKey("constructor")).toBeNull();
    expect(endReasonKey(null)).toBeNull();
  });
});

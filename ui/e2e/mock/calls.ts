// Mock calls that move through the same phases the real user agent reports. Outgoing calls go
// calling → ringing and wait for the test to "answer" them (window.koppla.remoteAnswer);
// incoming calls are injected with window.koppla.incoming. Ended calls become history rows.
import type { CallAction } from "../../src/bindings/CallAction";
import type { CallView } from "../../src/bindings/CallView";
import type { HistoryRow } from "../../src/bindings/HistoryRow";


const fail = (code: string, message: string) => {
  // Commands reject with a plain `UiError` object, like the Rust side's serialized error.
  throw { code, message };
};

export class MockCalls {
  calls: CallView[] = [];
  private recorded = new Set<number>();
  private nextId = 1;

  constructor(
    private readonly emitCalls: (calls: CallView[]) => void,
    private readonly onEnded: (row: Omit<HistoryRow, "id">) => void,
  ) {}

  private changed() {
    this.emitCalls(this.calls.map((call) => ({ ...call })));
  }

  private find(id: number): CallView {
    const call = this.calls.find((c) => c.id === id && c.phase !== "ended");
    if (!call) fail("no_such_call", `no call with id ${id}`);
    return call as CallView;
  }

  place(target: string, remoteName: string | null): CallView {
    const call: CallView = { id: this.nextId++, direction: "outgoing", remote: target, remoteName, phase: "calling",
      endReason: null, startedAt: Date.now(), answeredAt: null, muted: false, recording: false };
    this.calls.push(call);
    this.changed();
    setTimeout(() => {
      if (call.phase === "calling") {
        call.phase = "ringing";
        this.changed();
      }
    }, 150);
    return { ...call };
  }

  incoming(remote: string, remoteName: string | null): number {
    const call: CallView = { id: this.nextId++, direction: "incoming", remote, remoteName, phase: "ringing",
      endReason: null, startedAt: Date.now(), answeredAt: null, muted: false, recording: false };
    this.calls.push(call);
    this.changed();
    return call.id;
  }

  /** The far end picks up the newest outgoing call that is still ringing. */
  remoteAnswer(): boolean {
    const call = [...this.calls].reverse().find((c) => c.direction === "outgoing" && ["calling", "ringing", "early"].includes(c.phase));
    if (!call) return false;
    this.establish(call);
    return true;
  }

  remoteHangup(id?: number): void {
    const call = id === undefined ? this.calls.find((c) => c.phase !== "ended") : this.calls.find((c) => c.id === id);
    if (call) this.end(call, call.answeredAt ? "hangup" : "cancelled");
  }

  private establish(call: CallView) {
    // Answering one call puts the one we were talking to on hold, as a phone does.
    for (const other of this.calls) if (other !== call && other.phase === "established") other.phase = "held";
    call.phase = "established";
    call.answeredAt = call.answeredAt ?? Date.now();
    this.changed();
  }

  private end(call: CallView, reason: string) {
    call.phase = "ended";
    call.endReason = reason;
    this.leaveConference(call);
    this.changed();
    this.onEnded({
      direction: call.direction, remote: call.remote, displayName: call.remoteName, startedAt: call.startedAt,
      answeredAt: call.answeredAt, endedAt: Date.now(), endReason: reason,
      missed: call.direction === "incoming" && call.answeredAt === null,
      recordingPath: this.recorded.has(call.id) ? `/home/user/Koppla/inspelningar/samtal-${call.id}.wav` : null,
      seen: false,
    });
    setTimeout(() => {
      this.calls = this.calls.filter((c) => c !== call);
      this.changed();
    }, 1500);
  }

  act(id: number, action: CallAction): void {
    const call = this.find(id);
    const talking = ["established", "held", "remoteHeld"].includes(call.phase);
    const needTalking = () => {
      if (!talking) fail("invalid_state", `call ${id} is ${call.phase}`);
    };
    if (typeof action === "object") {
      needTalking();
      if ("dtmf" in action) {
        if (!/^[0-9*#A-D]+$/.test(action.dtmf.digits)) fail("invalid_dtmf", "DTMF digits are 0-9, *, #, A-D");
        return;
      }
      if ("campOn" in action) {
        // Camping is a blind transfer to the colleague's park code on the switch: it ends here.
        this.end(call, "transferred");
        return;
      }
      if ("blindTransfer" in action) {
        if (action.blindTransfer.target.replace(/\D/g, "").length < 3) fail("not_a_number", "not a phone number");
        this.end(call, "transferred");
        return;
      }
      const other = this.find(action.attendedTransfer.other);
      if (other === call) fail("invalid_state", "cannot transfer a call to itself");
      this.end(call, "transferred");
      this.end(other, "transferred");
      return;
    }
    switch (action) {
      case "answer":
        if (call.direction !== "incoming" || call.answeredAt !== null) fail("invalid_state", "nothing to answer");
        this.establish(call);
        return;
      case "reject":
        if (call.direction !== "incoming" || call.answeredAt !== null) fail("invalid_state", "nothing to reject");
        this.end(call, "declined");
        return;
      case "hangup":
        this.end(call, call.answeredAt ? "hangup" : "cancelled");
        return;
      case "park":
        // Parking is a blind transfer to my park code on the switch: the call ends here.
        needTalking();
        this.end(call, "transferred");
        return;
      case "hold":
        if (call.phase !== "established") fail("invalid_state", `call ${id} is ${call.phase}`);
        call.phase = "held";
        break;
      case "resume":
        if (call.phase !== "held") fail("invalid_state", `call ${id} is ${call.phase}`);
        this.establish(call);
        return;
      case "mute":
      case "unmute":
        needTalking();
        call.muted = action === "mute";
        break;
      case "startRecording":
      case "stopRecording":
        needTalking();
        call.recording = action === "startRecording";
        if (call.recording) this.recorded.add(call.id);
        break;
    }
    this.changed();
  }

  /** Like conference_merge: resumes the held calls and joins every answered call. */
  merge(): void {
    const members = this.calls.filter((c) => ["established", "held", "remoteHeld"].includes(c.phase));
    if (members.length < 2) fail("conference_needs_two", "a conference needs at least two answered calls");
    for (const call of members) {
      if (call.phase === "held") call.phase = "established";
      call.conference = members.length;
    }
    this.changed();
  }

  /** Like conference_split: ends the conference and holds every member but the newest. */
  split(): void {
    const members = this.calls.filter((c) => c.conference !== undefined);
    const newest = Math.max(...members.map((c) => c.id));
    for (const call of members) {
      delete call.conference;
      if (call.id !== newest && call.phase === "established") call.phase = "held";
    }
    this.changed();
  }

  private leaveConference(call: CallView) {
    if (call.conference === undefined) return;
    delete call.conference;
    const rest = this.calls.filter((c) => c.conference !== undefined);
    for (const other of rest) {
      if (rest.length < 2) delete other.conference;
      else other.conference = rest.length;
    }
  }
}

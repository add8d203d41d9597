import { describe, expect, it } from "vitest";
import type { CallKeys } from "../bindings/CallKeys";
import type { CallView } from "../bindings/CallView";
import { callCommandFor, checkKeys, comboFromEvent, parseCombo, shortcutAction } from "./shortcuts";

const KEYS: CallKeys = { answer: "Ctrl+Shift+A", hangup: "Ctrl+Shift+E", hold: "Ctrl+Shift+H", mute: "Ctrl+Shift+M", focusSearch: "Ctrl+F" };

function press(key: string, code: string, mods: { ctrl?: boolean; alt?: boolean; shift?: boolean; meta?: boolean } = {}) {
  return { key, code, ctrlKey: !!mods.ctrl, altKey: !!mods.alt, shiftKey: !!mods.shift, metaKey: !!mods.meta };
}

function call(id: number, phase: CallView["phase"], direction: CallView["direction"] = "incoming", muted = false): CallView {
  return { id, direction, remote: `10${id}`, remoteName: null, phase, endReason: null, startedAt: id, answeredAt: null, muted, recording: false };
}

describe("recording a combination", () => {
  it("writes modifiers in a fixed order and letters by their key position", () => {
    expect(comboFromEvent(press("H", "KeyH", { shift: true, ctrl: true }))).toBe("Ctrl+Shift+H");
    // Alt+Shift on a Swedish Mac gives "˛" for H: the physical key still reads as H.
    expect(comboFromEvent(press("˛", "KeyH", { alt: true, shift: true }))).toBe("Alt+Shift+H");
    expect(comboFromEvent(press("F9", "F9"))).toBe("F9");
    expect(comboFromEvent(press("ö", "Semicolon", { ctrl: true }))).toBe("Ctrl+Ö");
    expect(comboFromEvent(press("Enter", "NumpadEnter", { ctrl: true }))).toBe("Ctrl+Enter");
    expect(comboFromEvent(press(" ", "Space", { ctrl: true }))).toBe("Ctrl+Space");
  });

  it("waits while only modifiers are held", () => {
    expect(comboFromEvent(press("Control", "ControlLeft", { ctrl: true }))).toBeNull();
    expect(comboFromEvent(press("Shift", "ShiftLeft", { shift: true }))).toBeNull();
  });
});

describe("which combinations are allowed", () => {
  it("accepts combinations with Ctrl, Alt or Meta, and function keys alone", () => {
    expect(parseCombo("shift+ctrl+h")).toEqual({ combo: "Ctrl+Shift+H" });
    expect(parseCombo("F9")).toEqual({ combo: "F9" });
    expect(parseCombo("Shift+F12")).toEqual({ combo: "Shift+F12" });
    expect(parseCombo("Alt+6")).toEqual({ combo: "Alt+6" });
  });

  it("refuses keys that would be typed, editing keys and the tab keys", () => {
    expect(parseCombo("H")).toEqual({ problem: "typing" });
    expect(parseCombo("Shift+H")).toEqual({ problem: "typing" });
    expect(parseCombo("Enter")).toEqual({ problem: "typing" });
    expect(parseCombo("Ctrl+C")).toEqual({ problem: "reserved" });
    expect(parseCombo("Alt+1")).toEqual({ problem: "reserved" });
    expect(parseCombo("Ctrl+")).toEqual({ problem: "noKey" });
    expect(parseCombo("Hyper+K")).toEqual({ problem: "unknownKey" });
    expect(parseCombo("F25")).toEqual({ problem: "unknownKey" });
  });

  it("reports duplicates and the global dial hotkey, and allows empty (off)", () => {
    expect(checkKeys(KEYS, "F8")).toEqual({});
    expect(checkKeys({ ...KEYS, hangup: "ctrl+shift+a", mute: "F8", hold: "" }, "F8")).toEqual({
      hangup: "duplicate",
      mute: "globalHotkey",
    });
    expect(checkKeys({ ...KEYS, answer: "a" }, "F8")).toEqual({ answer: "typing" });
  });
});

describe("using the shortcuts", () => {
  it("finds the action of a key press", () => {
    expect(shortcutAction(press("A", "KeyA", { ctrl: true, shift: true }), KEYS)).toBe("answer");
    expect(shortcutAction(press("f", "KeyF", { ctrl: true }), KEYS)).toBe("focusSearch");
    expect(shortcutAction(press("a", "KeyA"), KEYS)).toBeNull();
    expect(shortcutAction(press("M", "KeyM", { ctrl: true, shift: true }), { ...KEYS, mute: "" })).toBeNull();
  });

  it("answers the oldest ringing call", () => {
    expect(callCommandFor("answer", [call(1, "established"), call(2, "ringing"), call(3, "ringing")])).toEqual({
      id: 2,
      action: "answer",
    });
    expect(callCommandFor("answer", [call(1, "established")])).toBeNull();
  });

  it("hangs up the call being talked on, else the one being dialled", () => {
    expect(callCommandFor("hangup", [call(1, "held"), call(2, "established")])).toEqual({ id: 2, action: "hangup" });
    expect(callCommandFor("hangup", [call(4, "calling", "outgoing")])).toEqual({ id: 4, action: "hangup" });
    expect(callCommandFor("hangup", [call(5, "ringing")])).toBeNull();
  });

  it("holds the active call or resumes the held one", () => {
    expect(callCommandFor("hold", [call(1, "established")])).toEqual({ id: 1, action: "hold" });
    expect(callCommandFor("hold", [call(1, "held")])).toEqual({ id: 1, action: "resume" });
    expect(callCommandFor("hold", [])).toBeNull();
  });

  it("toggles mute on the active call", () => {
    expect(callCommandFor("mute", [call(1, "established")])).toEqual({ id: 1, action: "mute" });
    expect(callCommandFor("mute", [call(1, "established", "incoming", true)])).toEqual({ id: 1, action: "unmute" });
    expect(callCommandFor("mute", [call(1, "held")])).toBeNull();
  });
});

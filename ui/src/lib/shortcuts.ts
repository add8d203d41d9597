// The in-window call shortcuts: turning a key press into a "Ctrl+Shift+H" combination, checking
// that a recorded combination is allowed (the same rules as src-tauri/src/call_keys.rs), and
// finding the action a key press stands for.
import type { CallAction } from "../bindings/CallAction";
import type { CallKeys } from "../bindings/CallKeys";
import type { CallPhase } from "../bindings/CallPhase";
import type { CallView } from "../bindings/CallView";
import { activeCall, callToAnswer } from "./calls";

export type ShortcutAction = keyof CallKeys;
export const SHORTCUT_ACTIONS: readonly ShortcutAction[] = ["answer", "hangup", "hold", "mute", "focusSearch"];

/** Why a combination is refused; each has a translated text `settings.keys.error.<code>`. */
export type ShortcutProblem = "noKey" | "unknownKey" | "typing" | "reserved" | "globalHotkey" | "duplicate";

const MODIFIERS = ["Ctrl", "Alt", "Shift", "Meta"] as const;
const NAMED_KEYS = [
  "Enter", "Escape", "Space", "Tab", "Backspace", "Delete", "Insert", "Home", "End", "PageUp", "PageDown",
  "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight",
];
const RESERVED = new Set(["Ctrl+A", "Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z", "Ctrl+Y", "Alt+1", "Alt+2", "Alt+3", "Alt+4", "Alt+5"]);
const SETTING_UP: ReadonlySet<CallPhase> = new Set(["calling", "ringing", "early"]);
const MODIFIER_KEYS = new Set(["Control", "Alt", "Shift", "Meta", "AltGraph", "OS", "CapsLock"]);

function functionKey(key: string): string | null {
  const match = /^[Ff]([0-9]{1,2})$/.exec(key);
  const n = match ? Number(match[1]) : 0;
  return n >= 1 && n <= 24 ? `F${n}` : null;
}

function canonicalKey(key: string): string | null {
  const f = functionKey(key);
  if (f) return f;
  const named = NAMED_KEYS.find((name) => name.toLowerCase() === key.toLowerCase());
  if (named) return named;
  const chars = [...key];
  const [only] = chars;
  if (chars.length !== 1 || only === undefined || only === "+" || /[\s\p{Cc}]/u.test(only)) return null;
  return only.toUpperCase();
}

/** The canonical form of a combination, or why it is not allowed. */
export function parseCombo(text: string): { combo: string } | { problem: ShortcutProblem } {
  const parts = text.split("+").map((part) => part.trim());
  const key = parts.pop() ?? "";
  const held = [false, false, false, false];
  for (const part of parts) {
    const index = MODIFIERS.findIndex((m) => m.toLowerCase() === part.toLowerCase());
    if (index < 0) return { problem: "unknownKey" };
    held[index] = true;
  }
  if (key === "" || MODIFIERS.some((m) => m.toLowerCase() === key.toLowerCase())) return { problem: "noKey" };
  const name = canonicalKey(key);
  if (!name) return { problem: "unknownKey" };
  const combo = [...MODIFIERS.filter((_, i) => held[i]), name].join("+");
  if (!held[0] && !held[1] && !held[3] && !functionKey(name)) return { problem: "typing" };
  if (RESERVED.has(combo)) return { problem: "reserved" };
  return { combo };
}

/**
 * The key of a key press by its physical position for letters and digits, so Shift or a layout's
 * Alt characters do not change it; other keys by name. Null for a lone modifier.
 */
function eventKey(event: Pick<KeyboardEvent, "key" | "code">): string | null {
  if (MODIFIER_KEYS.has(event.key)) return null;
  const letter = /^Key([A-Z])$/.exec(event.code);
  if (letter?.[1]) return letter[1];
  const digit = /^(?:Digit|Numpad)([0-9])$/.exec(event.code);
  if (digit?.[1]) return digit[1];
  if (event.code === "NumpadEnter") return "Enter";
  if (event.key === " ") return "Space";
  return canonicalKey(event.key) ?? (event.key.length === 1 ? event.key.toUpperCase() : null);
}

/** The combination a key press makes, written like the settings ("Ctrl+Shift+H"). */
export function comboFromEvent(
  event: Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "altKey" | "shiftKey" | "metaKey">,
): string | null {
  const key = eventKey(event);
  if (!key) return null;
  const held = [event.ctrlKey, event.altKey, event.shiftKey, event.metaKey];
  return [...MODIFIERS.filter((_, i) => held[i]), key].join("+");
}

/** Problems per action; `global` is the dial hotkey, which the system takes before the window. */
export function checkKeys(keys: CallKeys, global: string): Partial<Record<ShortcutAction, ShortcutProblem>> {
  const parsedGlobal = parseCombo(global);
  const globalCombo = "combo" in parsedGlobal ? parsedGlobal.combo : global;
  const seen = new Set<string>();
  const problems: Partial<Record<ShortcutAction, ShortcutProblem>> = {};
  for (const action of SHORTCUT_ACTIONS) {
    const text = keys[action].trim();
    if (text === "") continue;
    const parsed = parseCombo(text);
    if ("problem" in parsed) problems[action] = parsed.problem;
    else if (parsed.combo.toLowerCase() === globalCombo.toLowerCase()) problems[action] = "globalHotkey";
    else if (seen.has(parsed.combo)) problems[action] = "duplicate";
    else seen.add(parsed.combo);
  }
  return problems;
}

/** The action bound to this key press, if any. */
export function shortcutAction(
  event: Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "altKey" | "shiftKey" | "metaKey">,
  keys: CallKeys,
): ShortcutAction | null {
  const combo = comboFromEvent(event);
  if (!combo) return null;
  return SHORTCUT_ACTIONS.find((action) => keys[action] !== "" && keys[action] === combo) ?? null;
}

/**
 * What a call shortcut does to the calls as they are: answer the oldest ringing call, hang up the
 * call being talked on (or the one being set up), hold it or resume the held one, (un)mute it.
 */
export function callCommandFor(
  action: Exclude<ShortcutAction, "focusSearch">,
  calls: readonly CallView[],
): { id: number; action: CallAction } | null {
  const talking = activeCall(calls);
  switch (action) {
    case "answer": {
      const ringing = callToAnswer(calls);
      return ringing ? { id: ringing.id, action: "answer" } : null;
    }
    case "hangup": {
      const setup = calls.find((call) => call.direction === "outgoing" && SETTING_UP.has(call.phase));
      const target = talking ?? setup;
      return target ? { id: target.id, action: "hangup" } : null;
    }
    case "hold": {
      if (talking) return { id: talking.id, action: "hold" };
      const held = calls.find((call) => call.phase === "held");
      return held ? { id: held.id, action: "resume" } : null;
    }
    case "mute":
      return talking ? { id: talking.id, action: talking.muted ? "unmute" : "mute" } : null;
  }
}

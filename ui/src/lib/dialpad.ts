import { keypadDigit } from "./format";

/** What a key pressed somewhere on the start page does to the number field. */
export type DialpadKey = { kind: "digit"; digit: string } | { kind: "erase" } | { kind: "dial" };

/** The parts of a keydown the dialpad looks at (a KeyboardEvent has them all). */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  defaultPrevented?: boolean;
  target: EventTarget | null;
}

/**
 * While a call's DTMF keypad is open its digits go to the call, not to the number field: both
 * listen on the window, so the keypad says it is open here (keypad.tsx).
 */
let dtmfKeypads = 0;
export function dtmfKeypadOpened(): () => void {
  dtmfKeypads += 1;
  return () => {
    dtmfKeypads = Math.max(0, dtmfKeypads - 1);
  };
}

/** Whether typing goes somewhere else: a text field, a list of choices, or a key being recorded. */
function typingElsewhere(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || typeof element.tagName !== "string") return false;
  if (element.isContentEditable) return true;
  if (element.dataset?.recording !== undefined) return true;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName);
}

/**
 * Digits typed anywhere on the start page go into the number field; Enter dials it and Backspace
 * erases the last character. Never when a text field has the focus (it gets the key itself), with
 * a modifier (Alt+1 changes tab, Ctrl+F searches), or while a call's keypad sends DTMF.
 * Enter dials only when there is something to dial, so it still presses a focused button.
 */
export function dialpadKey(press: KeyPress, number: string): DialpadKey | null {
  if (press.defaultPrevented || press.ctrlKey || press.altKey || press.metaKey) return null;
  if (typingElsewhere(press.target) || dtmfKeypads > 0) return null;
  const digit = keypadDigit(press.key) ?? (press.key === "+" && number === "" ? "+" : null);
  if (digit) return { kind: "digit", digit };
  if (press.key === "Backspace" && number !== "") return { kind: "erase" };
  const onButton = (press.target as HTMLElement | null)?.tagName === "BUTTON";
  if (press.key === "Enter" && number.trim() !== "" && !onButton) return { kind: "dial" };
  return null;
}

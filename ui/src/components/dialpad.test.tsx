import { render } from "preact";
import { useState } from "preact/hooks";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { translator } from "../i18n";
import { dialpadKey, dtmfKeypadOpened, type KeyPress } from "../lib/dialpad";
import { Dialpad } from "./dialpad";
import { testShell, WithShell } from "./test-shell";

const root = document.createElement("div");
document.body.appendChild(root);
afterEach(() => render(null, root));

const press = (key: string, over: Partial<KeyPress> = {}): KeyPress => ({
  key, ctrlKey: false, altKey: false, metaKey: false, target: document.body, ...over,
});

describe("keys on the start page", () => {
  it("put digits, * and # into the number and a leading + only", () => {
    for (const key of ["0", "5", "9", "*", "#"]) expect(dialpadKey(press(key), "12")).toEqual({ kind: "digit", digit: key });
    expect(dialpadKey(press("+"), "")).toEqual({ kind: "digit", digit: "+" });
    expect(dialpadKey(press("+"), "46")).toBeNull();
    expect(dialpadKey(press("a"), "")).toBeNull();
  });

  it("erase with Backspace and dial with Enter only when there is a number", () => {
    expect(dialpadKey(press("Backspace"), "070")).toEqual({ kind: "erase" });
    expect(dialpadKey(press("Backspace"), "")).toBeNull();
    expect(dialpadKey(press("Enter"), "070")).toEqual({ kind: "dial" });
    expect(dialpadKey(press("Enter"), "  ")).toBeNull();
  });

  it("leave text fields, focused buttons, modifiers and a recorded shortcut alone", () => {
    const input = document.createElement("input");
    const textarea = document.createElement("textarea");
    const select = document.createElement("select");
    for (const target of [input, textarea, select]) expect(dialpadKey(press("4", { target }), "")).toBeNull();
    const recorder = document.createElement("button");
    recorder.dataset.recording = "";
    expect(dialpadKey(press("4", { target: recorder }), "")).toBeNull();
    // Enter on a focused button presses that button; a digit still types.
    const button = document.createElement("button");
    expect(dialpadKey(press("Enter", { target: button }), "070")).toBeNull();
    expect(dialpadKey(press("7", { target: button }), "")).toEqual({ kind: "digit", digit: "7" });
    expect(dialpadKey(press("1", { altKey: true }), "")).toBeNull(); // Alt+1 changes tab
    expect(dialpadKey(press("1", { ctrlKey: true }), "")).toBeNull();
    expect(dialpadKey(press("1", { metaKey: true }), "")).toBeNull();
    expect(dialpadKey(press("1", { defaultPrevented: true }), "")).toBeNull();
  });

  it("leave digits to a call's open DTMF keypad until it closes", () => {
    const closed = dtmfKeypadOpened();
    expect(dialpadKey(press("5"), "")).toBeNull();
    closed();
    expect(dialpadKey(press("5"), "")).toEqual({ kind: "digit", digit: "5" });
  });
});

/** The dialpad with the number it edits, as the start page holds it. */
function Harness({ dialled, lang = "sv" }: { dialled: string[]; lang?: "sv" | "en" }) {
  const [number, setNumber] = useState("");
  return (
    <WithShell shell={testShell({ lang, t: translator(lang) })}>
      <output data-testid="number">{number}</output>
      <Dialpad number={number} onChange={setNumber} onDial={() => dialled.push(number)} />
      <input data-testid="other-field" />
    </WithShell>
  );
}

const key = (key: string, target: EventTarget = document.body) =>
  act(() => {
    target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
  });
const number = () => root.querySelector("[data-testid=number]")?.textContent;

describe("the start page's dialpad", () => {
  it("takes keyboard digits from anywhere on the page, erases and dials", async () => {
    const dialled: string[] = [];
    act(() => render(<Harness dialled={dialled} />, root));
    for (const digit of "0701") await key(digit);
    expect(number()).toBe("0701");
    await key("Backspace");
    expect(number()).toBe("070");
    await key("9");
    await key("Enter");
    expect(dialled).toEqual(["0709"]);
  });

  it("does not take keys typed into another text field", async () => {
    act(() => render(<Harness dialled={[]} />, root));
    const field = root.querySelector<HTMLInputElement>("[data-testid=other-field]")!;
    await key("5", field);
    await key("Backspace", field);
    expect(number()).toBe("");
  });

  it("types and dials with its buttons, and folds away", async () => {
    const dialled: string[] = [];
    act(() => render(<Harness dialled={dialled} />, root));
    const click = (id: string) => act(() => root.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`)!.click());
    expect(root.querySelector<HTMLButtonElement>("[data-testid=dialpad-call]")!.disabled).toBe(true);
    await click("dialpad-9");
    await click("dialpad-9");
    await click("dialpad-#");
    await click("dialpad-erase");
    expect(number()).toBe("99");
    await click("dialpad-call");
    expect(dialled).toEqual(["99"]);
    const toggle = root.querySelector<HTMLButtonElement>("[data-testid=dialpad-toggle]")!;
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(toggle.textContent).toBe("Visa knappsats");
    await click("dialpad-toggle");
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(toggle.textContent).toBe("Dölj knappsats");
  });

  it("speaks English when the app does", () => {
    act(() => render(<Harness dialled={[]} lang="en" />, root));
    expect(root.querySelector("[data-testid=dialpad-toggle]")!.textContent).toBe("Show dialpad");
    expect(root.querySelector("[data-testid=dialpad-call]")!.textContent).toBe("Call");
    expect(root.querySelector("[data-testid=dialpad-erase]")!.getAttribute("aria-label")).toBe("Erase");
  });
});

import { render } from "preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CallCard } from "../components/call-card";
import { testShell, TEST_SETTINGS, WithShell } from "../components/test-shell";
import type { AppSettings, CallView } from "../ipc";
import { SettingsView } from "./settings";

vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  hotkeyGet: async () => "F8",
  audioDevices: async () => ({ inputs: [], outputs: [], defaultInput: null, defaultOutput: null, error: null }),
}));
// Address books talk to their servers through the backend; address-books.test.tsx renders them.
vi.mock("../components/address-books", () => ({ AddressBooks: () => null }));

const root = document.createElement("div");
document.body.appendChild(root);
afterEach(() => render(null, root));
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const session = { state: "online", kind: "builtin", username: "anna", display_name: null, registered: true,
  registration_error: null, switch_features: true } as const;

describe("how long an ended call's card stays", () => {
  it("is 3 s by default, set under Advanced, kept between 0 and 60 s", async () => {
    const saved: AppSettings[] = [];
    const shell = testShell({ saveSettings: async (next) => void saved.push(next) });
    render(<WithShell shell={shell}><SettingsView session={session} /></WithShell>, root);
    const field = root.querySelector<HTMLInputElement>('[data-testid="setting-endedCardSecs"]')!;
    expect(field.value).toBe("3");
    expect(field.closest("fieldset")?.querySelector("legend")?.textContent).toBe("Avancerat");
    expect(field.closest("label")?.textContent).toContain("0 = försvinner direkt");
    for (const [typed, kept] of [["0", 0], ["600", 60], ["-4", 0], ["12", 12]] as const) {
      field.value = typed;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      await settle(); // typing and leaving the field are separate events, rendered in between
      field.dispatchEvent(new Event("blur"));
      await settle();
      expect(field.value, typed).toBe(String(kept));
    }
    // 3 → 0 → 60 → 0 → 12: each change saved once.
    expect(saved.map((s) => s.endedCardSecs)).toEqual([0, 60, 0, 12]);
  });

  it("is the time an ended card takes to fade", () => {
    const call: CallView = { id: 4, direction: "outgoing", remote: "9999", remoteName: null, phase: "ended",
      endReason: "hangup", startedAt: 1, answeredAt: 2, muted: false, recording: false };
    const shell = testShell({ settings: { ...TEST_SETTINGS, endedCardSecs: 7 } });
    render(<WithShell shell={shell}><CallCard call={call} now={10} /></WithShell>, root);
    const card = root.querySelector<HTMLElement>('[data-testid="call-4"]')!;
    expect(card.style.getPropertyValue("--ended-linger")).toBe("7s");
  });
});

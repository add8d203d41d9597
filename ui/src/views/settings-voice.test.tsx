import { render } from "preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import { testShell, WithShell } from "../components/test-shell";
import { translator } from "../i18n";
import type { AppSettings } from "../ipc";
import { SettingsView } from "./settings";

const build = vi.hoisted(() => ({ voiceProcessing: true as boolean | undefined }));

vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  hotkeyGet: async () => "F8",
  audioDevices: async () => ({
    inputs: [], outputs: [], defaultInput: null, defaultOutput: null, error: null, voiceProcessing: build.voiceProcessing,
  }),
}));
// Address books talk to their servers through the backend; address-books.test.tsx renders them.
vi.mock("../components/address-books", () => ({ AddressBooks: () => null }));

const root = document.createElement("div");
document.body.appendChild(root);
afterEach(() => {
  render(null, root);
  build.voiceProcessing = true;
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const session = { state: "online", kind: "builtin", username: "anna", display_name: null, registered: true,
  registration_error: null, switch_features: true } as const;
const KEYS = ["echoCancellation", "noiseSuppression", "gainControl"] as const;
const box = (key: string) => root.querySelector<HTMLInputElement>(`[data-testid="setting-${key}"]`)!;

describe("voice processing switches", () => {
  it("sit under Sound, each with a hint, and each saves only its own stage", async () => {
    const saved: AppSettings[] = [];
    render(<WithShell shell={testShell({ saveSettings: async (next) => void saved.push(next) })}>
      <SettingsView session={session} />
    </WithShell>, root);
    await settle();
    for (const key of KEYS) {
      expect(box(key).checked, key).toBe(true);
      expect(box(key).disabled, key).toBe(false);
      expect(box(key).closest("fieldset")?.querySelector("legend")?.textContent).toBe("Ljud");
    }
    expect(box("echoCancellation").closest("label")?.textContent).toContain("Ekosläckning");
    expect(box("noiseSuppression").closest("label")?.textContent).toContain("Brusreducering");
    expect(box("gainControl").closest("label")?.textContent).toContain("Automatisk mikrofonnivå");
    expect(root.querySelector("#noiseSuppression-hint")?.textContent).toContain("bakgrundsbrus");
    expect(root.querySelector('[data-testid="voice-processing-unavailable"]')).toBeNull();

    box("noiseSuppression").click();
    await settle();
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ echoCancellation: true, noiseSuppression: false, gainControl: true });
  });

  it("are disabled with a note when the build has no processor", async () => {
    build.voiceProcessing = false;
    render(<WithShell shell={testShell({ lang: "en", t: translator("en") })}>
      <SettingsView session={session} />
    </WithShell>, root);
    await settle();
    for (const key of KEYS) expect(box(key).disabled, key).toBe(true);
    expect(box("echoCancellation").closest("label")?.textContent).toContain("Echo cancellation");
    expect(root.querySelector('[data-testid="voice-processing-unavailable"]')?.textContent)
      .toContain("no voice processing");
  });
});

import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GreetingKindView, UiError, VoicemailSettingsView } from "../ipc";
import { testShell, WithShell } from "./test-shell";
import { VoicemailSettings } from "./voicemail-settings";

// The settings commands recorded; the PIN can be made to fail like the Rust check does.
const ipc = vi.hoisted(() => ({
  calls: [] as string[],
  uploads: [] as [string, number][],
  view: null as VoicemailSettingsView | null,
}));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  voicemailSettingsGet: async () => ipc.view,
  voicemailPinSet: async (pin: string) => {
    ipc.calls.push(`pin ${pin}`);
    if (!/^\d{4,10}$/.test(pin)) throw { code: "invalid_pin", message: "4-10 digits" } satisfies UiError;
    return null;
  },
  greetingUpload: async (kind: GreetingKindView, wav: Uint8Array) => {
    ipc.uploads.push([kind, wav.length]);
    return { kind, stored: true, durationMs: 4200 };
  },
  greetingDelete: async (kind: GreetingKindView) => ipc.calls.push(`delete ${kind}`),
  greetingPlay: async (kind: GreetingKindView) => ipc.calls.push(`play ${kind}`),
  voicemailNotifySet: async (enabled: boolean, address: string | null, attach: boolean) => {
    ipc.calls.push(`notify ${enabled} ${address} ${attach}`);
    return { enabled, address, directoryEmail: "anna@exempel.se", attachAudio: attach, mailConfigured: true };
  },
}));

const root = document.createElement("div");
document.body.appendChild(root);
const flush = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
const one = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);

const SETTINGS: VoicemailSettingsView = {
  pinSet: false,
  greetings: [
    { kind: "default", stored: true, durationMs: 6000 },
    { kind: "busy", stored: false, durationMs: null },
    { kind: "noAnswer", stored: true, durationMs: null },
  ],
  notify: { enabled: false, address: null, directoryEmail: "anna@exempel.se", attachAudio: true, mailConfigured: false },
};

let notices: UiError[] = [];
async function mount(view: VoicemailSettingsView = SETTINGS) {
  ipc.view = view;
  notices = [];
  const shell = testShell({
    run: async (task) => {
      try {
        return await task();
      } catch (error) {
        notices.push(error as UiError);
        return undefined;
      }
    },
  });
  await act(() =>
    render(
      <WithShell shell={shell}>
        <VoicemailSettings />
      </WithShell>,
      root,
    ),
  );
  await flush();
}

beforeEach(() => {
  ipc.calls = [];
  ipc.uploads = [];
});
afterEach(async () => {
  await act(() => render(null, root));
});

const type = async (id: string, text: string) => {
  const input = one(id) as HTMLInputElement;
  input.value = text;
  await act(() => {
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
};

describe("voicemail settings", () => {
  it("sets a PIN, and a wrong one is refused with its reason", async () => {
    await mount();
    expect(one("voicemail-pin-status")?.textContent).toContain("Ingen PIN-kod");
    await type("voicemail-pin", "12");
    await act(() => one("voicemail-pin-save")?.click());
    await flush();
    expect(notices.map((n) => n.code)).toEqual(["invalid_pin"]);
    await type("voicemail-pin", "4711");
    await act(() => one("voicemail-pin-save")?.click());
    await flush();
    expect(ipc.calls).toEqual(["pin 12", "pin 4711"]);
    expect(one("voicemail-pin-status")?.textContent).toBe("PIN-koden är sparad.");
    expect((one("voicemail-pin") as HTMLInputElement).value).toBe("");
  });

  it("lists every greeting kind, uploads a file, plays and deletes", async () => {
    await mount();
    const state = (kind: string) => one(`greeting-${kind}`)?.querySelector('[data-testid="greeting-state"]')?.textContent;
    expect(state("default")).toBe("0:06");
    expect(state("busy")).toContain("Ingen egen");
    expect(state("noAnswer")).toContain("går inte att läsa");
    const input = one("greeting-busy")?.querySelector<HTMLInputElement>('[data-testid="greeting-upload"]');
    const file = new File([new Uint8Array(1000)], "upptagen.wav", { type: "audio/wav" });
    // jsdom's File has no arrayBuffer(); the webviews' have.
    Object.defineProperty(file, "arrayBuffer", { value: async () => new ArrayBuffer(1000) });
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    await act(() => {
      input?.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await flush();
    await flush();
    expect(ipc.uploads).toEqual([["busy", 1000]]);
    expect(state("busy")).toBe("0:04");
    await act(() => one("greeting-default")?.querySelector<HTMLElement>('[data-testid="greeting-play"]')?.click());
    await act(() => one("greeting-default")?.querySelector<HTMLElement>('[data-testid="greeting-delete"]')?.click());
    await flush();
    expect(ipc.calls).toEqual(["play default", "delete default"]);
    expect(state("default")).toContain("Ingen egen");
  });

  it("switches the e-mail notice and says when the switch has no mail server", async () => {
    await mount();
    expect(one("voicemail-notify")?.textContent).toContain("ingen e-postserver");
    expect((one("voicemail-notify-address") as HTMLInputElement).placeholder).toBe("anna@exempel.se");
    await type("voicemail-notify-address", " anna.privat@exempel.se ");
    // Leaving the field saves; ticking the box at once saves again, after it.
    await act(() => {
      one("voicemail-notify-address")?.dispatchEvent(new Event("blur"));
    });
    await act(() => one("voicemail-notify-enabled")?.click());
    await flush();
    await act(() => one("voicemail-notify-attach")?.click());
    await flush();
    expect(ipc.calls).toEqual([
      "notify false anna.privat@exempel.se true",
      "notify true anna.privat@exempel.se true",
      "notify true anna.privat@exempel.se false",
    ]);
  });

  it("hides greetings and the notice where the switch has none", async () => {
    await mount({ pinSet: true, greetings: [], notify: null });
    expect(one("voicemail-pin-status")?.textContent).toBe("En PIN-kod är satt.");
    expect(one("greeting-default")).toBeNull();
    expect(one("voicemail-notify")).toBeNull();
  });
});

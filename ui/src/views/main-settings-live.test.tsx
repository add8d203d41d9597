// Settings the window reads (answer with Enter, the call shortcuts) act on the next key press
// after a change: the same mounted window, no new login (issue 14 item 3).
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { testShell, TEST_SETTINGS, WithShell } from "../components/test-shell";
import type { AppSettings, CallView } from "../ipc";
import { MainView } from "./main";

const { answered, unlisten } = vi.hoisted(() => ({
  answered: [] as [number, string][],
  unlisten: async () => () => undefined,
}));

vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  callAction: async (id: number, action: string) => void answered.push([id, action]),
  callsList: async () => [],
  onCalls: unlisten,
  onHistory: unlisten,
  onMenuCall: unlisten,
  onVoicemail: unlisten,
  voicemailGet: async () => null,
  watchDialRequests: unlisten,
  missedCount: async () => 0,
}));
// The tabs and panels are not what this is about; their own tests render them.
vi.mock("./start", () => ({ StartView: () => <div /> }));
vi.mock("./history", () => ({ HistoryView: () => <div /> }));
vi.mock("./contacts", () => ({ ContactsView: () => <div /> }));
vi.mock("./settings", () => ({ SettingsView: () => <div /> }));
vi.mock("./voicemail", () => ({ VoicemailView: () => <div /> }));
vi.mock("../components/calls-panel", () => ({ CallsPanel: () => <div /> }));
vi.mock("../components/status-bar", () => ({ StatusBar: () => <div /> }));

const root = document.createElement("div");
document.body.appendChild(root);
afterEach(() => {
  render(null, root);
  answered.length = 0;
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const session = { state: "online", kind: "builtin", username: "anna", display_name: null, registered: true,
  registration_error: null, switch_features: true } as const;
const ringing: CallView = { id: 7, direction: "incoming", remote: "202", remoteName: "Bertil Berg", phase: "ringing",
  endReason: null, startedAt: 1, answeredAt: null, muted: false, recording: false };

/** Renders the window as the app does after a settings change: same component, new settings. */
const show = (settings: AppSettings) =>
  // act() runs the effects that (re)bind the key listeners before the next press.
  act(() =>
    render(
      <WithShell shell={testShell({ settings, calls: [ringing] })}>
        <MainView session={session} onCalls={() => undefined} onHistoryChanged={() => undefined} />
      </WithShell>,
      root,
    ),
  );

const press = (init: KeyboardEventInit) => {
  document.body.dispatchEvent(new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init }));
  return settle();
};

describe("settings act on the next key press", () => {
  it("answer with Enter switched on and off while a call rings", async () => {
    show({ ...TEST_SETTINGS, answerWithEnter: false });
    await settle();
    await press({ key: "Enter", code: "Enter" });
    expect(answered).toEqual([]);

    show({ ...TEST_SETTINGS, answerWithEnter: true });
    await settle();
    await press({ key: "Enter", code: "Enter" });
    expect(answered).toEqual([[7, "answer"]]);

    show({ ...TEST_SETTINGS, answerWithEnter: false });
    await settle();
    await press({ key: "Enter", code: "Enter" });
    expect(answered).toHaveLength(1);
  });

  it("a changed answer shortcut works at once and the old one no longer does", async () => {
    const noEnter = { ...TEST_SETTINGS, answerWithEnter: false };
    show(noEnter);
    await settle();
    await press({ key: "a", code: "KeyA", ctrlKey: true, shiftKey: true });
    expect(answered).toEqual([[7, "answer"]]);

    show({ ...noEnter, callKeys: { ...noEnter.callKeys, answer: "Ctrl+Shift+Y" } });
    await settle();
    await press({ key: "a", code: "KeyA", ctrlKey: true, shiftKey: true });
    expect(answered).toHaveLength(1);
    await press({ key: "y", code: "KeyY", ctrlKey: true, shiftKey: true });
    expect(answered).toEqual([[7, "answer"], [7, "answer"]]);
  });
});

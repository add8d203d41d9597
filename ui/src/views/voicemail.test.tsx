import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MailboxView, PlaybackView } from "../ipc";
import { testShell, WithShell } from "../components/test-shell";
import { UNDO_MS, VoicemailView } from "./voicemail";

// The voicemail commands recorded, and the playback listener captured so tests move playback.
const ipc = vi.hoisted(() => ({
  calls: [] as string[],
  deleteFails: false,
  playback: null as ((view: PlaybackView) => void) | null,
}));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  voicemailPlay: async (id: number) => ipc.calls.push(`play ${id}`),
  voicemailPause: async () => ipc.calls.push("pause"),
  voicemailSeek: async (ms: number) => ipc.calls.push(`seek ${ms}`),
  voicemailStop: async () => ipc.calls.push("stop"),
  voicemailMarkHeard: async (id: number) => ipc.calls.push(`heard ${id}`),
  voicemailDelete: async (id: number) => {
    ipc.calls.push(`delete ${id}`);
    if (ipc.deleteFails) throw { code: "switch_unreachable", message: "switch down" };
  },
  voicemailSave: async (id: number) => {
    ipc.calls.push(`save ${id}`);
    return "/home/anna/Hämtningar/0701234567 2026-12-07 0815.wav";
  },
  voicemailSettingsGet: async () => ({ pinSet: true, greetings: [], notify: null }),
  onPlayback: async (handler: (view: PlaybackView) => void) => {
    ipc.playback = handler;
    return () => {
      ipc.playback = null;
    };
  },
}));

const root = document.createElement("div");
document.body.appendChild(root);

const MAILBOX: MailboxView = {
  listed: true,
  new: 1,
  old: 1,
  callTarget: "8000",
  messages: [
    { id: 2, caller: "0701234567", callerName: "Britt Ek", at: "2026-12-07T08:15:00Z", durationMs: 12_000, heard: false },
    { id: 1, caller: "1002", callerName: null, at: "2026-12-06T16:40:00Z", durationMs: 65_000, heard: true },
  ],
};

let shell = testShell();
async function mount(mailbox: MailboxView | null = MAILBOX, overrides: Parameters<typeof testShell>[0] = {}) {
  shell = testShell(overrides);
  await act(() =>
    render(
      <WithShell shell={shell}>
        <VoicemailView mailbox={mailbox} />
      </WithShell>,
      root,
    ),
  );
  await flush();
}

const flush = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
const all = (id: string) => [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
const one = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const click = async (el: HTMLElement | undefined | null) => {
  expect(el).toBeTruthy();
  await act(() => el?.click());
  await flush();
};

beforeEach(() => {
  ipc.calls = [];
  ipc.playback = null;
  ipc.deleteFails = false;
});
afterEach(async () => {
  await act(() => render(null, root));
  vi.useRealTimers();
});

describe("the voicemail tab", () => {
  it("lists messages newest first with the known name, number, time, length and new mark", async () => {
    await mount();
    expect(one("voicemail-counts")?.textContent).toBe("1 nytt · 1 sparat");
    const rows = all("voicemail-row");
    expect(rows.map((r) => r.querySelector("strong")?.textContent)).toEqual(["Britt Ek", "1002"]);
    expect(rows[0]?.textContent).toContain("0701234567 · ");
    expect(rows[0]?.textContent).toContain("0:12");
    expect(rows[0]?.dataset.heard).toBe("false");
    expect(rows[1]?.textContent).toContain("1:05");
    // Only an unheard message offers "mark as heard".
    expect(all("voicemail-heard")).toHaveLength(1);
  });

  it("plays, shows the position, pauses and seeks", async () => {
    await mount();
    await click(all("voicemail-play")[0]);
    expect(ipc.calls).toEqual(["play 2"]);
    await act(() => ipc.playback?.({ id: 2, positionMs: 3_000, durationMs: 12_000, playing: true, finished: false }));
    expect(one("voicemail-position")?.textContent).toBe("0:03 / 0:12");
    const seek = one("voicemail-seek") as HTMLInputElement;
    expect(seek.max).toBe("12000");
    expect(all("voicemail-play")[0]?.textContent).toBe("Pausa");
    await click(all("voicemail-play")[0]);
    expect(ipc.calls).toEqual(["play 2", "pause"]);
    seek.value = "9000";
    await act(() => {
      seek.dispatchEvent(new Event("input", { bubbles: true }));
    });
    expect(ipc.calls).toContain("seek 9000");
  });

  it("deletes after a moment, and undo keeps the message", async () => {
    await mount();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await act(() => all("voicemail-delete")[0]?.click());
    expect(all("voicemail-row")).toHaveLength(1);
    expect(one("voicemail-undo-bar")?.textContent).toContain("Meddelandet tas bort.");
    await act(() => one("voicemail-undo")?.click());
    expect(all("voicemail-row")).toHaveLength(2);
    await act(() => {
      vi.advanceTimersByTime(UNDO_MS + 100);
    });
    expect(ipc.calls).not.toContain("delete 2");

    await act(() => all("voicemail-delete")[0]?.click());
    await act(() => {
      vi.advanceTimersByTime(UNDO_MS + 100);
    });
    expect(ipc.calls).toContain("delete 2");
    expect(one("voicemail-undo-bar")).toBeNull();
    // Until the switch's new list arrives, the deleted message does not flash back.
    expect(all("voicemail-row")).toHaveLength(1);
  });

  it("a message whose deletion the switch refused comes back", async () => {
    // As the app's shell does: a failed command becomes a notice.
    const notices: unknown[] = [];
    await mount(MAILBOX, {
      run: async (task) => {
        try {
          return await task();
        } catch (error) {
          notices.push(error);
          return undefined;
        }
      },
    });
    ipc.deleteFails = true;
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await act(() => all("voicemail-delete")[0]?.click());
    await act(() => {
      vi.advanceTimersByTime(UNDO_MS + 100);
    });
    vi.useRealTimers();
    await flush();
    expect(ipc.calls).toContain("delete 2");
    expect(notices).toHaveLength(1);
    expect(all("voicemail-row")).toHaveLength(2);
  });

  it("a deletion still waiting for undo is carried out when the tab closes", async () => {
    await mount();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await act(() => all("voicemail-delete")[1]?.click());
    await act(() => render(null, root));
    expect(ipc.calls).toContain("delete 1");
    expect(ipc.calls).toContain("stop");
  });

  it("calls back, calls voicemail, marks heard and saves", async () => {
    await mount();
    await click(all("voicemail-call-back")[0]);
    await click(one("voicemail-call"));
    expect(shell.placed).toEqual(["0701234567", "8000"]);
    await click(one("voicemail-heard"));
    await click(all("voicemail-save")[1]);
    await flush();
    expect(ipc.calls).toEqual(["heard 2", "save 1"]);
    expect(one("voicemail-saved")?.textContent).toContain("Hämtningar/0701234567");
  });

  it("with a plain SIP server shows only the counts and the number to call", async () => {
    await mount({ listed: false, messages: [], new: 2, old: 0, callTarget: "*97" });
    expect(one("voicemail-counts")?.textContent).toBe("2 nya · 0 sparade");
    expect(root.textContent).toContain("Servern berättar bara hur många");
    expect(all("voicemail-row")).toHaveLength(0);
    await click(one("voicemail-call"));
    expect(shell.placed).toEqual(["*97"]);
    await mount({ listed: false, messages: [], new: 0, old: 0, callTarget: null });
    expect(one("voicemail-call")).toBeNull();
  });
});

import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallAction, CallView, ParkedCallView, UiError } from "../ipc";
import { CallCard } from "./call-card";
import { CallsPanel } from "./calls-panel";
import { translator, type Lang } from "../i18n";
import { campOnReminder, parkedSeconds } from "./parked";
import { TEST_SETTINGS, testShell, WithShell } from "./test-shell";

// The parked list's IPC: a list to answer, pick-ups and call actions recorded, the
// parked-changed listener captured, and a pick-up that can be made to fail.
const ipc = vi.hoisted(() => ({
  list: [] as ParkedCallView[],
  listed: 0,
  pickedUp: [] as string[],
  pickUpError: null as UiError | null,
  actions: [] as [number, CallAction][],
  push: null as ((list: ParkedCallView[]) => void) | null,
}));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  parkedList: async () => {
    ipc.listed += 1;
    return ipc.list;
  },
  parkedPickUp: async (id: string) => {
    ipc.pickedUp.push(id);
    if (ipc.pickUpError) throw ipc.pickUpError;
    return null;
  },
  callAction: async (id: number, action: CallAction) => {
    ipc.actions.push([id, action]);
  },
  onParked: async (handler: (list: ParkedCallView[]) => void) => {
    ipc.push = handler;
    return () => {
      ipc.push = null;
    };
  },
}));

const root = document.createElement("div");
document.body.appendChild(root);
const NOW_S = 1_795_000_000;

const parkedCall = (over: Partial<ParkedCallView> = {}): ParkedCallView => ({
  id: "p1", caller: "0701234567", callerName: "Kund AB", owner: "anna", ownerName: "Anna Svensson", mine: true,
  since: NOW_S - 75, state: "parked", by: null, byMe: false, target: null, targetName: null, ...over,
});

const call = (over: Partial<CallView> = {}): CallView => ({
  id: 7, direction: "incoming", remote: "0701234567", remoteName: "Kund AB", phase: "established", endReason: null,
  startedAt: 0, answeredAt: 1_000, muted: false, recording: false, ...over,
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
  vi.setSystemTime(NOW_S * 1000);
  ipc.list = [];
  ipc.listed = 0;
  ipc.pickedUp = [];
  ipc.pickUpError = null;
  ipc.actions = [];
  ipc.push = null;
});
afterEach(() => {
  render(null, root);
  vi.useRealTimers();
});

const flush = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
const text = (selector: string) => root.querySelector(selector)?.textContent?.trim();
const row = (id: string) => `[data-testid="parked-${id}"]`;

async function mount({ list = [] as ParkedCallView[], calls = [] as CallView[], parking = true, lang = "sv" as Lang,
  reminder = TEST_SETTINGS.campOnReminderSecs } = {}) {
  ipc.list = list;
  const settings = { ...TEST_SETTINGS, campOnReminderSecs: reminder };
  await act(() =>
    render(<WithShell shell={testShell({ calls, lang, t: translator(lang), settings })}><CallsPanel parking={parking} /></WithShell>, root),
  );
  await flush();
}

describe("parkedSeconds", () => {
  it("counts from the time the switch parked the call, never below zero", () => {
    expect(parkedSeconds(parkedCall({ since: NOW_S - 42 }), NOW_S * 1000)).toBe(42);
    expect(parkedSeconds(parkedCall({ since: NOW_S + 5 }), NOW_S * 1000)).toBe(0);
  });
});

describe("parked calls in the calls panel", () => {
  it("lists each parked call with its caller, whose queue it waits in and the wait", async () => {
    await mount({
      list: [
        parkedCall(),
        parkedCall({ id: "p2", caller: "1003", callerName: null, owner: "johanna", ownerName: "Johanna Berg", mine: false,
          since: NOW_S - 3_725 }),
      ],
    });
    expect(text("#parked-heading")).toBe("Parkerade samtal");
    expect(text(`${row("p1")} [data-testid=parked-caller]`)).toBe("Kund AB");
    expect(text(`${row("p1")} [data-testid=parked-owner]`)).toBe("Min kö · 0701234567");
    expect(text(`${row("p1")} [data-testid=parked-wait]`)).toBe("01:15");
    expect(root.querySelector(row("p1"))?.classList.contains("mine")).toBe(true);
    expect(text(`${row("p2")} [data-testid=parked-caller]`)).toBe("1003");
    expect(text(`${row("p2")} [data-testid=parked-owner]`)).toBe("Väntar hos Johanna Berg");
    expect(text(`${row("p2")} [data-testid=parked-wait]`)).toBe("62:05");
    const button = root.querySelector(`${row("p2")} [data-testid=parked-pick-up]`) as HTMLButtonElement;
    expect(button.textContent).toBe("Ta samtal");
    expect(button.getAttribute("aria-label")).toBe("Ta samtalet från 1003");
  });

  it("says it in English too", async () => {
    await mount({ lang: "en", list: [parkedCall(), parkedCall({ id: "p2", mine: false, ownerName: "Johanna Berg" })] });
    expect(text("#parked-heading")).toBe("Parked calls");
    expect(text(`${row("p1")} [data-testid=parked-owner]`)).toBe("My queue · 0701234567");
    expect(text(`${row("p2")} [data-testid=parked-owner]`)).toBe("Waiting in Johanna Berg's queue · 0701234567");
    expect(text(`${row("p2")} [data-testid=parked-pick-up]`)).toBe("Pick up");
  });

  it("counts the wait up live", async () => {
    await mount({ list: [parkedCall({ since: NOW_S - 59 })] });
    const wait = `${row("p1")} [data-testid=parked-wait]`;
    expect(text(wait)).toBe("00:59");
    await act(() => {
      vi.advanceTimersByTime(1_000);
    });
    expect(text(wait)).toBe("01:00");
    await act(() => {
      vi.advanceTimersByTime(60_000);
    });
    expect(text(wait)).toBe("02:00");
  });

  it("hides the section when nothing is parked and follows parked-changed events", async () => {
    await mount();
    expect(root.querySelector("[data-testid=parked]")).toBeNull();
    expect(root.querySelector("[data-testid=calls]")).toBeNull();
    await act(() => ipc.push?.([parkedCall()]));
    expect(text(`${row("p1")} [data-testid=parked-caller]`)).toBe("Kund AB");
    await act(() => ipc.push?.([]));
    expect(root.querySelector("[data-testid=parked]")).toBeNull();
  });

  it("asks nothing and shows nothing with a plain SIP account", async () => {
    await mount({ parking: false, list: [parkedCall()] });
    expect(ipc.listed).toBe(0);
    expect(root.querySelector("[data-testid=parked]")).toBeNull();
  });

  it("picks a call up with its id", async () => {
    await mount({ list: [parkedCall({ id: "abc" })] });
    await act(() => (root.querySelector("[data-testid=parked-pick-up]") as HTMLButtonElement).click());
    await flush();
    expect(ipc.pickedUp).toEqual(["abc"]);
    expect(root.querySelector("[data-testid=parked-error]")).toBeNull();
  });

  it.each([
    ["pickup_not_allowed", "Kunde inte ta samtalet: du har inte behörighet att ta kollegors parkerade samtal"],
    ["parked_gone", "Kunde inte ta samtalet: samtalet finns inte längre – någon annan tog det eller den som ringde lade på"],
    ["not_supported", "Kunde inte ta samtalet: servern stöder inte det (det kräver Koppla Växel)"],
  ])("shows the Swedish text when the pick-up fails with %s", async (code, shown) => {
    ipc.pickUpError = { code, message: "raw" };
    await mount({ list: [parkedCall({ mine: false })] });
    await act(() => (root.querySelector("[data-testid=parked-pick-up]") as HTMLButtonElement).click());
    await flush();
    expect(text("[data-testid=parked-error] span")).toBe(shown);
    expect(root.querySelector("[data-testid=parked-error]")?.getAttribute("role")).toBe("alert");
    // The error goes away when dismissed.
    await act(() => (root.querySelector("[data-testid=parked-error] button") as HTMLButtonElement).click());
    expect(root.querySelector("[data-testid=parked-error]")).toBeNull();
  });

  it("lists parked calls under the active calls", async () => {
    await mount({ calls: [call()], list: [parkedCall()] });
    const panel = root.querySelector("[data-testid=calls]");
    expect(panel?.firstElementChild?.getAttribute("data-testid")).toBe("call-7");
    expect(panel?.lastElementChild?.getAttribute("data-testid")).toBe("parked");
  });
});

describe("held calls in each state", () => {
  const camped = parkedCall({ id: "c1", owner: "bo", ownerName: "Bo Ek", mine: false, by: "anna", byMe: true });
  const ringing = parkedCall({ id: "t1", state: "ringing", by: "anna", byMe: true, target: "bo", targetName: "Bo Ek",
    since: NOW_S - 12 });
  const recalled = parkedCall({ id: "t2", caller: "1003", callerName: null, state: "recalled", by: "anna", byMe: true,
    target: "bo", targetName: "Bo Ek", since: NOW_S - 31 });
  const state = (id: string) => root.querySelector(`[data-testid=parked-state-${id}]`);

  it("shows a call I camped on a colleague as waiting with them, put there by me", async () => {
    await mount({ list: [camped, parkedCall({ id: "c2", owner: "bo", ownerName: "Bo Ek", mine: false, by: "karin" })] });
    expect(state("c1")?.textContent).toBe("Väntar hos Bo Ek");
    expect(state("c1")?.getAttribute("data-state")).toBe("parked");
    expect(text(`${row("c1")} [data-testid=parked-owner]`)).toBe("Väntar hos Bo Ek · parkerad av dig · 0701234567");
    expect(text(`${row("c2")} [data-testid=parked-owner]`)).toBe("Väntar hos Bo Ek · parkerad av karin · 0701234567");
    expect(root.querySelector(`${row("c1")} [data-testid=parked-pick-up]`)).not.toBeNull();
    expect(root.querySelector(`${row("c1")} [data-testid=parked-take-back]`)).toBeNull();
  });

  it("does not repeat who parked a call in their own queue", async () => {
    await mount({ list: [parkedCall({ by: "anna", byMe: true })] });
    expect(text(`${row("p1")} [data-testid=parked-owner]`)).toBe("Min kö · 0701234567");
  });

  it("shows a transfer ringing a colleague with the time it has rung and a take-back button", async () => {
    await mount({ list: [ringing] });
    expect(state("t1")?.textContent).toBe("Ringer hos Bo Ek");
    expect(state("t1")?.getAttribute("data-state")).toBe("ringing");
    expect(root.querySelector(row("t1"))?.classList.contains("state-ringing")).toBe(true);
    const wait = `${row("t1")} [data-testid=parked-wait]`;
    expect(text(wait)).toBe("00:12");
    expect(root.querySelector(wait)?.getAttribute("title")).toBe("Har ringt");
    await act(() => {
      vi.advanceTimersByTime(3_000);
    });
    expect(text(wait)).toBe("00:15");
    expect(root.querySelector(`${row("t1")} [data-testid=parked-pick-up]`)).toBeNull();
    expect(root.querySelector(`[data-testid=parked-alert-t1]`)).toBeNull();
    const back = root.querySelector(`${row("t1")} [data-testid=parked-take-back]`) as HTMLButtonElement;
    expect(back.textContent).toBe("Ta tillbaka");
    expect(back.getAttribute("aria-label")).toBe("Ta tillbaka samtalet från Kund AB (slutar ringa hos Bo Ek)");
    await act(() => back.click());
    await flush();
    expect(ipc.pickedUp).toEqual(["t1"]);
  });

  it("marks a transfer that came back, lists it first and lets me take it", async () => {
    await mount({ list: [ringing, recalled] });
    const items = [...root.querySelectorAll("[data-testid=parked] li")].map((li) => li.getAttribute("data-testid"));
    expect(items).toEqual(["parked-t2", "parked-t1"]);
    expect(state("t2")?.textContent).toBe("Tillbaka från Bo Ek");
    expect(state("t2")?.getAttribute("data-state")).toBe("recalled");
    const li = root.querySelector(row("t2")) as HTMLElement;
    expect(li.classList.contains("state-recalled")).toBe(true);
    expect(li.title).toBe("Bo Ek svarade inte – samtalet väntar på dig igen");
    expect(root.querySelector("[data-testid=parked-alert-t2]")).not.toBeNull();
    expect(text(`${row("t2")} [data-testid=parked-caller]`)).toBe("1003");
    expect(text(`${row("t2")} [data-testid=parked-wait]`)).toBe("00:31");
    await act(() => (root.querySelector(`${row("t2")} [data-testid=parked-pick-up]`) as HTMLButtonElement).click());
    await flush();
    expect(ipc.pickedUp).toEqual(["t2"]);
  });

  it("says whose transfer it is when I see a colleague's", async () => {
    await mount({
      list: [
        { ...ringing, id: "t3", owner: "karin", ownerName: "Karin Svensson", mine: false, by: "karin", byMe: false },
        { ...recalled, id: "t4", owner: "karin", ownerName: "Karin Svensson", mine: false, by: "karin", byMe: false },
      ],
    });
    expect(text(`${row("t3")} [data-testid=parked-owner]`)).toBe("Ringer hos Bo Ek · kopplad av Karin Svensson · 0701234567");
    expect(text(`${row("t4")} [data-testid=parked-owner]`)).toBe("Tillbaka från Bo Ek · hos Karin Svensson");
  });

  it("says it in English too", async () => {
    await mount({ lang: "en", list: [camped, ringing, recalled] });
    expect(text(`${row("c1")} [data-testid=parked-owner]`)).toBe("Waiting in Bo Ek's queue · parked by you · 0701234567");
    expect(state("t1")?.textContent).toBe("Ringing Bo Ek");
    expect(text(`${row("t1")} [data-testid=parked-take-back]`)).toBe("Take back");
    expect(state("t2")?.textContent).toBe("Back from Bo Ek");
    expect(text(`${row("t2")} [data-testid=parked-pick-up]`)).toBe("Pick up");
  });

  it("follows a transfer from ringing to recalled to taken", async () => {
    await mount({ list: [ringing] });
    expect(state("t1")?.getAttribute("data-state")).toBe("ringing");
    await act(() => ipc.push?.([{ ...ringing, state: "recalled" }]));
    expect(state("t1")?.getAttribute("data-state")).toBe("recalled");
    expect(root.querySelector("[data-testid=parked-alert-t1]")).not.toBeNull();
    await act(() => ipc.push?.([]));
    expect(root.querySelector("[data-testid=parked]")).toBeNull();
  });
});

describe("Park on the call card", () => {
  it("is offered on an answered call with a switch account and sends the park action", async () => {
    await mount({ calls: [call()] });
    const park = root.querySelector("[data-testid=call-park]") as HTMLButtonElement;
    expect(park.textContent).toBe("Parkera");
    expect(park.getAttribute("aria-label")).toBe("Parkera");
    expect(park.title).toContain("personliga kö");
    expect(park.querySelector("svg")).not.toBeNull();
    await act(() => park.click());
    await flush();
    expect(ipc.actions).toEqual([[7, "park"]]);
  });

  it("is offered for a held call too", async () => {
    await mount({ calls: [call({ phase: "held" })] });
    expect(root.querySelector("[data-testid=call-park]")).not.toBeNull();
  });

  it("is not offered with a plain SIP account", async () => {
    await mount({ parking: false, calls: [call()] });
    expect(root.querySelector("[data-testid=call-hold]")).not.toBeNull();
    expect(root.querySelector("[data-testid=call-park]")).toBeNull();
  });

  it("is not offered on a ringing or ended call, nor by default", () => {
    const shell = testShell();
    render(<WithShell shell={shell}><CallCard call={call({ phase: "ringing", answeredAt: null })} now={5_000} canPark /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-park]")).toBeNull();
    render(<WithShell shell={shell}><CallCard call={call({ phase: "ended", endReason: "hangup" })} now={5_000} canPark /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-park]")).toBeNull();
    render(<WithShell shell={shell}><CallCard call={call()} now={5_000} /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-park]")).toBeNull();
  });
});

describe("camp-on reminder (checklist 102)", () => {
  // A call I camped on Johanna, waiting in her queue for `waited` seconds.
  const camped = (waited: number, over: Partial<ParkedCallView> = {}) =>
    parkedCall({ id: "c1", owner: "johanna", ownerName: "Johanna Berg", mine: false, by: "anna", byMe: true,
      since: NOW_S - waited, ...over });
  const remind = () => root.querySelector(row("c1"))?.getAttribute("data-remind") ?? null;
  const classes = () => root.querySelector(row("c1"))?.className ?? "";
  const tick = (ms: number) =>
    act(() => {
      vi.advanceTimersByTime(ms);
    });

  it("blinks for 3 s at every interval while the call waits with the colleague, saying whom and how long", async () => {
    await mount({ list: [camped(27)] });
    expect(text(`${row("c1")} [data-testid=parked-owner]`)).toBe("Väntar hos Johanna Berg · parkerad av dig · 0701234567");
    expect(remind()).toBeNull();
    expect(root.querySelector("[data-testid=parked-remind-c1]")).toBeNull();
    await tick(3_000);
    expect(text(`${row("c1")} [data-testid=parked-wait]`)).toBe("00:30");
    expect(remind()).toBe("blink");
    expect(classes()).toMatch(/\bremind\b/);
    expect(root.querySelector("[data-testid=parked-remind-c1]")).not.toBeNull();
    expect(root.querySelector(row("c1"))?.getAttribute("title")).toBe("Kund AB väntar fortfarande hos Johanna Berg (00:30)");
    await tick(2_000);
    expect(remind()).toBe("blink");
    await tick(1_000);
    // Between the reminders: due (a static marker only where motion is reduced), not blinking.
    expect(remind()).toBe("due");
    expect(classes()).not.toMatch(/\bremind\b/);
    expect(classes()).toMatch(/\boverdue\b/);
    await tick(26_000);
    expect(text(`${row("c1")} [data-testid=parked-wait]`)).toBe("00:59");
    expect(remind()).toBe("due");
    await tick(1_000);
    expect(text(`${row("c1")} [data-testid=parked-wait]`)).toBe("01:00");
    expect(remind()).toBe("blink");
    // Picked up with the usual button.
    await act(() => (root.querySelector(`${row("c1")} [data-testid=parked-pick-up]`) as HTMLButtonElement).click());
    await flush();
    expect(ipc.pickedUp).toEqual(["c1"]);
  });

  it("follows the interval setting and is off at 0", async () => {
    await mount({ list: [camped(9)], reminder: 10 });
    expect(remind()).toBeNull();
    await tick(1_000);
    expect(remind()).toBe("blink");
    render(null, root);
    await mount({ list: [camped(3_600)], reminder: 0 });
    expect(remind()).toBeNull();
    expect(classes()).not.toMatch(/overdue|remind/);
  });

  it("is only for calls I camped on a colleague that still wait there", () => {
    const now = NOW_S * 1000;
    expect(campOnReminder(camped(30), now, 30)).toBe("blink");
    expect(campOnReminder(camped(32), now, 30)).toBe("blink");
    expect(campOnReminder(camped(33), now, 30)).toBe("due");
    expect(campOnReminder(camped(29), now, 30)).toBeNull();
    expect(campOnReminder(camped(30, { byMe: false, by: "bertil" }), now, 30)).toBeNull();
    expect(campOnReminder(camped(30, { mine: true, owner: "anna" }), now, 30)).toBeNull();
    expect(campOnReminder(camped(30, { state: "ringing" }), now, 30)).toBeNull();
    expect(campOnReminder(camped(30, { state: "recalled" }), now, 30)).toBeNull();
    expect(campOnReminder(camped(30), now, 0)).toBeNull();
  });

  it("says it in English too", async () => {
    await mount({ lang: "en", list: [camped(30)] });
    expect(root.querySelector(row("c1"))?.getAttribute("title")).toBe("Kund AB is still waiting for Johanna Berg (00:30)");
  });
});

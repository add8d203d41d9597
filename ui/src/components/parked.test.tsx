import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallAction, CallView, ParkedCallView, UiError } from "../ipc";
import { CallCard } from "./call-card";
import { CallsPanel } from "./calls-panel";
import { translator, type Lang } from "../i18n";
import { parkedSeconds } from "./parked";
import { testShell, WithShell } from "./test-shell";

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
  since: NOW_S - 75, ...over,
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

async function mount({ list = [] as ParkedCallView[], calls = [] as CallView[], parking = true, lang = "sv" as Lang } = {}) {
  ipc.list = list;
  await act(() => render(<WithShell shell={testShell({ calls, lang, t: translator(lang) })}><CallsPanel parking={parking} /></WithShell>, root));
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
    expect(text(`${row("p2")} [data-testid=parked-owner]`)).toBe("Hos Johanna Berg");
    expect(text(`${row("p2")} [data-testid=parked-wait]`)).toBe("62:05");
    const button = root.querySelector(`${row("p2")} [data-testid=parked-pick-up]`) as HTMLButtonElement;
    expect(button.textContent).toBe("Ta samtal");
    expect(button.getAttribute("aria-label")).toBe("Ta samtalet från 1003");
  });

  it("says it in English too", async () => {
    await mount({ lang: "en", list: [parkedCall(), parkedCall({ id: "p2", mine: false, ownerName: "Johanna Berg" })] });
    expect(text("#parked-heading")).toBe("Parked calls");
    expect(text(`${row("p1")} [data-testid=parked-owner]`)).toBe("My queue · 0701234567");
    expect(text(`${row("p2")} [data-testid=parked-owner]`)).toBe("In Johanna Berg's queue · 0701234567");
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

import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallAction, CallView, ContactView, SearchResultsView } from "../ipc";
import { translator, type Lang } from "../i18n";
import { ContactCard } from "./contact-card";
import { isBusy, SearchHit } from "./search-hit";
import { testShell, WithShell } from "./test-shell";

// Call actions are recorded instead of reaching the backend.
const ipc = vi.hoisted(() => ({ actions: [] as [number, CallAction][], pickUps: [] as string[] }));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  callAction: async (id: number, action: CallAction) => {
    ipc.actions.push([id, action]);
  },
  colleaguePickUp: async (user: string) => {
    ipc.pickUps.push(user);
    return null;
  },
}));

const root = document.createElement("div");
document.body.appendChild(root);
beforeEach(() => {
  ipc.actions = [];
  ipc.pickUps = [];
});
afterEach(() => render(null, root));

type Hit = SearchResultsView["hits"][number];
const hit = (over: Partial<Hit> = {}): Hit => ({
  entryId: "u2", name: "Johanna Berg", subtitle: "Säljare, Exempel AB", source: "colleague", kind: "normal",
  field: "name", fieldText: "Johanna Berg", spans: [[0, 7]], number: "1002",
  presence: { label: "Möte", color: "#c62828", reachable: false, until: null, note: null, onCall: false },
  emails: [], ...over,
});
const available = { label: "Tillgänglig", color: "#2e7d32", reachable: true, until: null, note: null, onCall: false };

const call = (over: Partial<CallView> = {}): CallView => ({
  id: 7, direction: "incoming", remote: "0701234567", remoteName: "Kund AB", phase: "established", endReason: null,
  startedAt: 1_000, answeredAt: 2_000, muted: false, recording: false, ...over,
});

let rowClicks = 0;
async function showHit(h: Hit, { calls = [] as CallView[], canCampOn = true, lang = "sv" as Lang } = {}) {
  rowClicks = 0;
  await act(() =>
    render(
      <WithShell shell={testShell({ calls, lang, t: translator(lang) })}>
        <ul>
          <SearchHit id="h" hit={h} selected={false} onCall={() => (rowClicks += 1)} onHover={() => {}} canCampOn={canCampOn} />
        </ul>
      </WithShell>,
      root,
    ),
  );
}
const button = (testId: string) => root.querySelector(`[data-testid=${testId}]`) as HTMLButtonElement | null;
const click = async (testId: string) => {
  await act(() => button(testId)?.click());
  await act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
};

describe("Transfer here on a search hit", () => {
  it("is not offered without a call", async () => {
    await showHit(hit());
    expect(button("hit-transfer")).toBeNull();
    expect(button("hit-camp-on")).toBeNull();
  });

  it("transfers my one call to the hit's number without calling the person", async () => {
    await showHit(hit({ presence: available }), { calls: [call()] });
    const transfer = button("hit-transfer");
    expect(transfer?.textContent).toBe("Koppla hit");
    expect(transfer?.title).toBe("Koppla Kund AB till Johanna Berg (utan att fråga först)");
    await click("hit-transfer");
    expect(ipc.actions).toEqual([[7, { blindTransfer: { target: "1002" } }]]);
    expect(rowClicks).toBe(0);
  });

  it("is offered on contacts and address-book hits too, and on a SIP address", async () => {
    await showHit(hit({ source: "contact", presence: null, number: "sip:kund@example.se" }), { calls: [call()] });
    await click("hit-transfer");
    expect(ipc.actions).toEqual([[7, { blindTransfer: { target: "sip:kund@example.se" } }]]);
    expect(button("hit-camp-on")).toBeNull();
    await showHit(hit({ source: "addressBook", presence: null }), { calls: [call()] });
    expect(button("hit-transfer")).not.toBeNull();
  });

  it("is not offered on a hit without a number", async () => {
    await showHit(hit({ number: null }), { calls: [call()] });
    expect(button("hit-transfer")).toBeNull();
    expect(button("hit-camp-on")).toBeNull();
  });

  it("takes the held call over the one I am talking to, and says whose call it is", async () => {
    const held = call({ id: 3, remoteName: "Väntande AB", phase: "held" });
    await showHit(hit({ presence: available }), { calls: [held, call({ id: 4, remoteName: "Kollega" })] });
    expect(button("hit-transfer")?.title).toContain("Väntande AB");
    await click("hit-transfer");
    expect(ipc.actions).toEqual([[3, { blindTransfer: { target: "1002" } }]]);
  });

  it("takes the most recently held call when several are held", async () => {
    const first = call({ id: 1, remoteName: "Först", phase: "held", startedAt: 10 });
    const second = call({ id: 2, remoteName: "Sedan", phase: "established", startedAt: 20 });
    // Call 1 is held first, then call 2 as well: call 2 was held last.
    await showHit(hit(), { calls: [first, second] });
    await showHit(hit(), { calls: [first, { ...second, phase: "held" }] });
    expect(button("hit-transfer")?.title).toContain("Sedan");
    // Call 1 is resumed and held again: now it was held last, although it started first.
    await showHit(hit(), { calls: [{ ...first, phase: "established" }, { ...second, phase: "held" }] });
    await showHit(hit(), { calls: [first, { ...second, phase: "held" }] });
    expect(button("hit-transfer")?.title).toContain("Först");
    await click("hit-transfer");
    expect(ipc.actions).toEqual([[1, { blindTransfer: { target: "1002" } }]]);
  });

  it("is not offered with several calls none of which is held, nor for a ringing call", async () => {
    await showHit(hit(), { calls: [call({ id: 1 }), call({ id: 2, phase: "remoteHeld" })] });
    expect(button("hit-transfer")).toBeNull();
    await showHit(hit(), { calls: [call({ phase: "ringing", answeredAt: null })] });
    expect(button("hit-transfer")).toBeNull();
    await showHit(hit(), { calls: [call({ phase: "ended", endReason: "hangup" })] });
    expect(button("hit-transfer")).toBeNull();
  });

  it("says it in English too", async () => {
    await showHit(hit(), { calls: [call()], lang: "en" });
    expect(button("hit-transfer")?.textContent).toBe("Transfer here");
    expect(button("hit-transfer")?.title).toBe("Transfer Kund AB to Johanna Berg (without asking first)");
    expect(button("hit-camp-on")?.textContent).toBe("Camp on Johanna");
  });
});

describe("Camp on a busy colleague", () => {
  it("is offered on a busy colleague while I have a call and camps the call on them", async () => {
    await showHit(hit(), { calls: [call()] });
    const camp = button("hit-camp-on");
    expect(camp?.textContent).toBe("Köa hos Johanna");
    expect(camp?.title).toBe("Kund AB väntar i Johanna Bergs kö och kopplas fram så fort Johanna Berg är ledig");
    await click("hit-camp-on");
    expect(ipc.actions).toEqual([[7, { campOn: { user: "1002" } }]]);
    expect(rowClicks).toBe(0);
  });

  it("camps the held call when one is held", async () => {
    await showHit(hit(), { calls: [call({ id: 5, phase: "held" }), call({ id: 6 })] });
    await click("hit-camp-on");
    expect(ipc.actions).toEqual([[5, { campOn: { user: "1002" } }]]);
  });

  it("is not offered for a free colleague, a contact, without a call or without Koppla Växel", async () => {
    await showHit(hit({ presence: available }), { calls: [call()] });
    expect(button("hit-camp-on")).toBeNull();
    await showHit(hit({ presence: null }), { calls: [call()] });
    expect(button("hit-camp-on")).toBeNull();
    await showHit(hit({ source: "contact" }), { calls: [call()] });
    expect(button("hit-camp-on")).toBeNull();
    await showHit(hit(), { calls: [] });
    expect(button("hit-camp-on")).toBeNull();
    await showHit(hit(), { calls: [call()], canCampOn: false });
    expect(button("hit-camp-on")).toBeNull();
    // Transfer here stays, it needs no switch.
    expect(button("hit-transfer")).not.toBeNull();
  });

  it("is offered on an available colleague who is on a call, marked as such", async () => {
    const onThePhone = hit({ presence: { ...available, onCall: true } });
    await showHit(onThePhone, { calls: [call()] });
    expect(root.querySelector("[data-testid=hit-on-call]")?.textContent).toBe("I samtal");
    expect(root.querySelector(".hit")?.classList.contains("on-call")).toBe(true);
    expect((root.querySelector(".presence") as HTMLElement).title).toBe("I samtal – Tillgänglig");
    expect(isBusy(onThePhone)).toBe(true);
    await click("hit-camp-on");
    expect(ipc.actions).toEqual([[7, { campOn: { user: "1002" } }]]);
    // In English too, and shown without a call of mine (only camp-on needs one).
    await showHit(onThePhone, { calls: [], lang: "en" });
    expect(root.querySelector("[data-testid=hit-on-call]")?.textContent).toBe("On a call");
    expect(button("hit-camp-on")).toBeNull();
  });

  it("keeps an unreachable activity busy, and marks no one else as on a call", async () => {
    expect(isBusy(hit())).toBe(true);
    expect(isBusy(hit({ presence: available }))).toBe(false);
    // Only the switch's colleagues can be seen on a call.
    const contact = hit({ source: "contact", presence: { ...available, onCall: true } });
    expect(isBusy(contact)).toBe(false);
    await showHit(contact, { calls: [call()] });
    expect(root.querySelector("[data-testid=hit-on-call]")).toBeNull();
    expect(button("hit-camp-on")).toBeNull();
    await showHit(hit({ presence: available }), { calls: [call()] });
    expect(root.querySelector("[data-testid=hit-on-call]")).toBeNull();
  });
});

describe("Transfer here on a contact card", () => {
  const contact: ContactView = {
    id: 1, name: "Kalle Kund", company: "Kund AB", title: "", emails: [], keywords: [], kind: "contact", notes: "",
    numbers: [{ label: "mobil", number: "0701112233" }, { label: "arbete", number: "081234567" }],
  };
  const showCard = (calls: CallView[]) =>
    act(() =>
      render(
        <WithShell shell={testShell({ calls })}>
          <ContactCard contact={contact} onEdit={() => {}} onDeleted={() => {}} onBack={() => {}} />
        </WithShell>,
        root,
      ),
    );

  it("offers a transfer to each number while I hold a call", async () => {
    await showCard([call({ phase: "held" })]);
    const buttons = [...root.querySelectorAll("[data-testid=contact-transfer]")] as HTMLButtonElement[];
    expect(buttons.map((b) => b.textContent)).toEqual(["Koppla hit", "Koppla hit"]);
    expect(buttons[1]?.title).toBe("Koppla Kund AB till Kalle Kund (utan att fråga först)");
    await act(() => buttons[1]?.click());
    await act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
    expect(ipc.actions).toEqual([[7, { blindTransfer: { target: "081234567" } }]]);
  });

  it("offers nothing without a call", async () => {
    await showCard([]);
    expect(root.querySelector("[data-testid=contact-transfer]")).toBeNull();
  });
});

describe("Take a colleague's ringing call", () => {
  it("is offered on a colleague on a call with Koppla Växel, with or without a call of mine", async () => {
    const onThePhone = hit({ presence: { ...available, onCall: true } });
    await showHit(onThePhone);
    const take = button("hit-pick-up");
    expect(take?.textContent).toBe("Ta samtalet");
    expect(take?.title).toBe("Ta samtalet som ringer hos Johanna Berg");
    await click("hit-pick-up");
    expect(ipc.pickUps).toEqual(["1002"]);
    expect(rowClicks).toBe(0);
    await showHit(onThePhone, { calls: [call()], lang: "en" });
    expect(button("hit-pick-up")?.textContent).toBe("Take call");
  });

  it("is not offered on a free or merely absent colleague, a contact, or without Koppla Växel", async () => {
    await showHit(hit({ presence: available }));
    expect(button("hit-pick-up")).toBeNull();
    await showHit(hit());
    expect(button("hit-pick-up")).toBeNull();
    await showHit(hit({ source: "contact", presence: { ...available, onCall: true } }));
    expect(button("hit-pick-up")).toBeNull();
    await showHit(hit({ presence: { ...available, onCall: true } }), { canCampOn: false });
    expect(button("hit-pick-up")).toBeNull();
  });
});

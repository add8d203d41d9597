// Drag and drop transfer (checklist 36): a call card dropped on a search hit.
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallAction, CallView, SearchResultsView } from "../ipc";
import { translator, type Lang } from "../i18n";
import { CALL_MIME, dropAction, endCallDrag } from "../lib/call-drag";
import { CallCard } from "./call-card";
import { SearchHit } from "./search-hit";
import { testShell, WithShell } from "./test-shell";

const ipc = vi.hoisted(() => ({ actions: [] as [number, CallAction][] }));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  callAction: async (id: number, action: CallAction) => {
    ipc.actions.push([id, action]);
  },
}));

/** jsdom has no DataTransfer: the little a drag needs. */
class TestDataTransfer {
  private data = new Map<string, string>();
  dropEffect = "none";
  effectAllowed = "all";
  dragImage: Element | null = null;
  get types() {
    return [...this.data.keys()];
  }
  setData(type: string, value: string) {
    this.data.set(type, value);
  }
  getData(type: string) {
    return this.data.get(type) ?? "";
  }
  setDragImage(image: Element) {
    this.dragImage = image;
  }
}

/** Fires a drag event (jsdom has no DragEvent either: a MouseEvent carrying the DataTransfer). */
async function drag(target: Element, type: string, data: TestDataTransfer, init: MouseEventInit = {}) {
  const event = new MouseEvent(type, { bubbles: true, cancelable: true, ...init });
  Object.defineProperty(event, "dataTransfer", { value: data });
  await act(() => {
    target.dispatchEvent(event);
  });
  await act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  return event;
}

type Hit = SearchResultsView["hits"][number];
const available = { label: "Tillgänglig", color: "#2e7d32", reachable: true, until: null, note: null, onCall: false };
const anna: Hit = {
  entryId: "u1", name: "Anna Lindqvist", subtitle: "Ekonom, Exempel AB", source: "colleague", kind: "normal",
  field: "name", fieldText: "Anna Lindqvist", spans: [[0, 4]], number: "1001", presence: available, emails: [],
};
const johanna: Hit = {
  ...anna, entryId: "u2", name: "Johanna Berg", fieldText: "Johanna Berg", number: "1002",
  presence: { ...available, label: "I samtal", onCall: true },
};
const britt: Hit = {
  ...anna, entryId: "c1", name: "Britt Ek", fieldText: "Britt Ek", source: "contact", number: "070-111 22 33", presence: null,
};
const nobody: Hit = { ...anna, entryId: "c2", name: "Utan Nummer", fieldText: "Utan Nummer", source: "contact", number: null, presence: null };

const call = (over: Partial<CallView> = {}): CallView => ({
  id: 7, direction: "incoming", remote: "0701234567", remoteName: "Kund AB", phase: "established", endReason: null,
  startedAt: 1_000, answeredAt: 2_000, muted: false, recording: false, ...over,
});

const root = document.createElement("div");
document.body.appendChild(root);
beforeEach(() => {
  ipc.actions = [];
});
afterEach(() => {
  endCallDrag();
  render(null, root);
});

async function show(calls: CallView[], { canCampOn = true, lang = "sv" as Lang } = {}) {
  await act(() =>
    render(
      <WithShell shell={testShell({ calls, lang, t: translator(lang) })}>
        {calls.map((c) => (
          <CallCard key={c.id} call={c} now={3_000} />
        ))}
        <ul>
          {[anna, johanna, britt, nobody].map((h) => (
            <SearchHit key={h.entryId} id={h.entryId} hit={h} selected={false} onCall={() => {}} onHover={() => {}} canCampOn={canCampOn} />
          ))}
        </ul>
      </WithShell>,
      root,
    ),
  );
}
const card = (id = 7) => root.querySelector(`[data-testid=call-${id}]`) as HTMLElement;
const hitOf = (name: string) =>
  [...root.querySelectorAll<HTMLElement>("[data-testid=hit]")].find((li) => li.textContent?.includes(name)) as HTMLElement;
const dropLabel = () => root.querySelector("[data-testid=hit-drop]")?.textContent ?? null;

/** Drags call 7 from its card over `target` and drops it there. */
async function dragAndDrop(target: Element, init: MouseEventInit = {}) {
  const data = new TestDataTransfer();
  await drag(card(), "dragstart", data);
  await drag(target, "dragenter", data, init);
  const over = await drag(target, "dragover", data, init);
  const label = dropLabel();
  await drag(target, "drop", data, init);
  await drag(card(), "dragend", data);
  return { data, over, label };
}

describe("dragging a call card", () => {
  it("only answered or held calls can be dragged, and the drag carries the call and its caller's name", async () => {
    await show([call(), call({ id: 8, phase: "held", remoteName: null, remote: "0709876543" }), call({ id: 9, phase: "ringing", answeredAt: null })]);
    expect(card(7).getAttribute("draggable")).toBe("true");
    expect(card(8).getAttribute("draggable")).toBe("true");
    expect(card(9).getAttribute("draggable")).toBe("false");
    const data = new TestDataTransfer();
    await drag(card(8), "dragstart", data);
    expect(data.getData(CALL_MIME)).toBe("8");
    expect(data.getData("text/plain")).toBe("0709876543");
    expect(data.effectAllowed).toBe("move");
    expect(data.dragImage?.textContent).toBe("0709876543");
    expect(card(8).classList.contains("dragging")).toBe(true);
    // Every hit with a number is marked as a place to drop it.
    expect(hitOf("Anna").classList.contains("drop-ready")).toBe(true);
    expect(hitOf("Utan Nummer").classList.contains("drop-ready")).toBe(false);
    await drag(card(8), "dragend", data);
    expect(card(8).classList.contains("dragging")).toBe(false);
    expect(hitOf("Anna").classList.contains("drop-ready")).toBe(false);
  });

  it("dropped on a colleague: a blind transfer there, with the caller's name shown while over it", async () => {
    await show([call()]);
    const { over, label } = await dragAndDrop(hitOf("Anna"));
    expect(over.defaultPrevented).toBe(true);
    expect(label).toBe("Släpp för att koppla Kund AB till Anna Lindqvist");
    expect(ipc.actions).toEqual([[7, { blindTransfer: { target: "1001" } }]]);
    expect(dropLabel()).toBeNull();
    expect(hitOf("Anna").className).not.toMatch(/drop-/);
  });

  it("dropped on a contact with a number: transferred to that number", async () => {
    await show([call({ phase: "held" })], { lang: "en" });
    const { label } = await dragAndDrop(hitOf("Britt"));
    expect(label).toBe("Drop to transfer Kund AB to Britt Ek");
    expect(ipc.actions).toEqual([[7, { blindTransfer: { target: "070-111 22 33" } }]]);
  });

  it("dropped on a busy colleague: transferred, or camped on with Alt held", async () => {
    await show([call()]);
    const plain = await dragAndDrop(hitOf("Johanna"));
    expect(plain.label).toBe("Släpp för att koppla Kund AB till Johanna Berg (håll Alt eller släpp på Köa för att köa)");
    const alt = await dragAndDrop(hitOf("Johanna"), { altKey: true });
    expect(alt.label).toBe("Släpp för att köa Kund AB hos Johanna Berg");
    expect(ipc.actions).toEqual([
      [7, { blindTransfer: { target: "1002" } }],
      [7, { campOn: { user: "1002" } }],
    ]);
  });

  it("dropped on the busy colleague's camp-on zone: camped on", async () => {
    await show([call()]);
    const zone = hitOf("Johanna").querySelector("[data-testid=hit-camp-on]") as HTMLElement;
    expect(zone.dataset.dropZone).toBe("camp-on");
    const { label } = await dragAndDrop(zone);
    expect(label).toBe("Släpp för att köa Kund AB hos Johanna Berg");
    expect(ipc.actions).toEqual([[7, { campOn: { user: "1002" } }]]);
  });

  it("Alt does not camp on a free colleague, nor without a switch", async () => {
    await show([call()], { canCampOn: false });
    await dragAndDrop(hitOf("Anna"), { altKey: true });
    await dragAndDrop(hitOf("Johanna"), { altKey: true });
    expect(ipc.actions).toEqual([
      [7, { blindTransfer: { target: "1001" } }],
      [7, { blindTransfer: { target: "1002" } }],
    ]);
  });

  it("a hit without a number, or a drag that is not a call, takes no drop", async () => {
    await show([call()]);
    const { over } = await dragAndDrop(hitOf("Utan Nummer"));
    expect(over.defaultPrevented).toBe(false);
    const text = new TestDataTransfer();
    text.setData("text/plain", "1001");
    expect((await drag(hitOf("Anna"), "dragover", text)).defaultPrevented).toBe(false);
    await drag(hitOf("Anna"), "drop", text);
    expect(ipc.actions).toEqual([]);
  });

  it("a call that ended meanwhile is not transferred", async () => {
    await show([call()]);
    const data = new TestDataTransfer();
    await drag(card(), "dragstart", data);
    await show([call({ phase: "ended", endReason: "bye" })]);
    await drag(hitOf("Anna"), "dragover", data);
    await drag(hitOf("Anna"), "drop", data);
    expect(ipc.actions).toEqual([]);
  });

  it("leaving a hit takes its highlight away", async () => {
    await show([call()]);
    const data = new TestDataTransfer();
    await drag(card(), "dragstart", data);
    await drag(hitOf("Anna"), "dragover", data);
    expect(hitOf("Anna").classList.contains("drop-over")).toBe(true);
    await drag(hitOf("Anna"), "dragleave", data, { relatedTarget: hitOf("Britt") });
    expect(hitOf("Anna").classList.contains("drop-over")).toBe(false);
    expect(dropLabel()).toBeNull();
  });
});

describe("dropAction", () => {
  it("camps on only where camp-on is offered and asked for", () => {
    const flags = { campOnOffered: true, altKey: false, onCampOnZone: false };
    expect(dropAction("1002", flags)).toEqual({ blindTransfer: { target: "1002" } });
    expect(dropAction("1002", { ...flags, altKey: true })).toEqual({ campOn: { user: "1002" } });
    expect(dropAction("1002", { ...flags, onCampOnZone: true })).toEqual({ campOn: { user: "1002" } });
    expect(dropAction("1002", { ...flags, campOnOffered: false, altKey: true })).toEqual({ blindTransfer: { target: "1002" } });
  });
});

import { render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import type { CallView, SearchResultsView } from "../ipc";
import { CallCard } from "./call-card";
import { SearchHit } from "./search-hit";
import { testShell, TEST_SETTINGS, WithShell } from "./test-shell";

const root = document.createElement("div");
document.body.appendChild(root);
afterEach(() => render(null, root));

type Hit = SearchResultsView["hits"][number];
const hit = (over: Partial<Hit> = {}): Hit => ({
  entryId: "u1", name: "Johanna Berg", subtitle: "Säljare, Exempel AB", source: "colleague", kind: "normal",
  field: "name", fieldText: "Johanna Berg", spans: [[3, 7]], number: "1002",
  presence: { label: "Lunch", color: "#f9a825", reachable: false, until: null, note: "Tillbaka 13:00", onCall: false },
  emails: ["johanna.berg@exempel.se"], ...over,
});

const call = (over: Partial<CallView> = {}): CallView => ({
  id: 7, direction: "outgoing", remote: "1001", remoteName: "Anna Lindqvist", phase: "established", endReason: null,
  startedAt: 0, answeredAt: 1_000, muted: false, recording: false, ...over,
});

describe("SearchHit", () => {
  it("renders the matched part of the name as <mark> and the presence colour", () => {
    render(<WithShell shell={testShell()}><ul><SearchHit id="h" hit={hit()} selected onCall={() => {}} onHover={() => {}} /></ul></WithShell>, root);
    expect([...root.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["anna"]);
    expect(root.querySelector(".name")?.textContent).toBe("Johanna Berg");
    expect((root.querySelector(".presence") as HTMLElement).style.background).toBe("rgb(249, 168, 37)");
    expect(root.querySelector("[aria-selected=true]")).not.toBeNull();
  });

  it("marks a non-name field on the second line and flags blocked entries", () => {
    render(
      <WithShell shell={testShell()}>
        <ul>
          <SearchHit id="h" hit={hit({ kind: "blocked", field: "number", fieldText: "1002", spans: [[0, 2]], presence: null })}
            selected={false} onCall={() => {}} onHover={() => {}} />
        </ul>
      </WithShell>,
      root,
    );
    expect(root.querySelector(".sub mark")?.textContent).toBe("10");
    expect(root.querySelector(".tag-blocked")?.textContent).toBe("Blockerad");
  });

  it("drops a presence colour that is not a plain colour", () => {
    const hostile = hit({ presence: { label: "x", color: "red;background:url(x)", reachable: true, until: null, note: null, onCall: false } });
    render(<WithShell shell={testShell()}><ul><SearchHit id="h" hit={hostile} selected={false} onCall={() => {}} onHover={() => {}} /></ul></WithShell>, root);
    expect((root.querySelector(".presence") as HTMLElement).getAttribute("style")).toBeNull();
  });
});

describe("CallCard", () => {
  it("shows the timer from answeredAt and the talking buttons", () => {
    render(<WithShell shell={testShell()}><CallCard call={call()} now={66_000} /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-timer]")?.textContent).toBe("1:05");
    expect(root.querySelector("[data-testid=call-hold]")).not.toBeNull();
    expect(root.querySelector("[data-testid=call-answer]")).toBeNull();
    const conference = root.querySelector("[data-testid=call-conference]") as HTMLButtonElement;
    expect(conference.disabled).toBe(true);
    expect(conference.title).toBe("Kräver minst två besvarade samtal");
  });

  it("offers answer and reject for a ringing incoming call, without a timer", () => {
    render(<WithShell shell={testShell()}><CallCard call={call({ direction: "incoming", phase: "ringing", answeredAt: null })} now={5_000} /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-answer]")?.textContent).toBe("Svara");
    expect(root.querySelector("[data-testid=call-reject]")).not.toBeNull();
    expect(root.querySelector("[data-testid=call-timer]")).toBeNull();
    expect(root.textContent).toContain("Enter svarar");
    expect(root.querySelector("[data-testid=call-via]")).toBeNull();
  });

  it("names the queue an incoming call came through", () => {
    const queued = call({ direction: "incoming", phase: "ringing", answeredAt: null, via: "Support" });
    render(<WithShell shell={testShell()}><CallCard call={queued} now={5_000} /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-via]")?.textContent).toBe("via Support");
  });

  it("says a ringing call is a transfer of mine coming back", () => {
    const back = call({ direction: "incoming", phase: "ringing", answeredAt: null, recall: true });
    render(<WithShell shell={testShell()}><CallCard call={back} now={5_000} /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-recall]")?.textContent).toBe("Tillbaka – kopplingen besvarades inte");
    expect(root.querySelector("[data-testid=call-via]")).toBeNull();
  });

  it("shows resume for a held call and the external app link with the encoded number", () => {
    const shell = testShell({ settings: { ...TEST_SETTINGS, externalAppUrl: "https://hitta.se/?q={number}" } });
    render(<WithShell shell={shell}><CallCard call={call({ phase: "held", remote: "+4670" })} now={2_000} /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-resume]")).not.toBeNull();
    expect(root.querySelector("a.button")?.getAttribute("href")).toBe("https://hitta.se/?q=%2B4670");
  });

  it("translates the end reason of an ended call", () => {
    render(<WithShell shell={testShell()}><CallCard call={call({ phase: "ended", endReason: "busy" })} now={2_000} /></WithShell>, root);
    expect(root.querySelector("[data-testid=call-phase]")?.textContent).toBe("Upptaget");
    expect(root.querySelector("[data-testid=call-hangup]")).toBeNull();
  });
});

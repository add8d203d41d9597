import { render } from "preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallView } from "../ipc";
import { CallCard } from "./call-card";
import { testShell, WithShell } from "./test-shell";

const ipc = vi.hoisted(() => ({ conference: [] as string[] }));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  conference: async (action: string) => {
    ipc.conference.push(action);
  },
}));

const root = document.createElement("div");
document.body.appendChild(root);
beforeEach(() => {
  ipc.conference = [];
});
afterEach(() => render(null, root));

const call = (over: Partial<CallView> = {}): CallView => ({
  id: 1, direction: "outgoing", remote: "1001", remoteName: null, phase: "established", endReason: null,
  startedAt: 0, answeredAt: 1_000, muted: false, recording: false, ...over,
});

function card(shown: CallView, calls: CallView[]) {
  render(<WithShell shell={testShell({ calls })}><CallCard call={shown} now={2_000} /></WithShell>, root);
  return root.querySelector("[data-testid=call-conference]") as HTMLButtonElement;
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("conference button", () => {
  it("stays disabled with only one answered call, a ringing one does not count", () => {
    const talking = call();
    const button = card(talking, [talking, call({ id: 2, direction: "incoming", phase: "ringing", answeredAt: null })]);
    expect(button.disabled).toBe(true);
    expect(button.title).toBe("Kräver minst två besvarade samtal");
    button.click();
    expect(ipc.conference).toEqual([]);
  });

  it("merges a talking and a held call", async () => {
    const talking = call();
    const button = card(talking, [talking, call({ id: 2, phase: "held" })]);
    expect(button.disabled).toBe(false);
    expect(button.textContent).toBe("Konferens");
    button.click();
    await flush();
    expect(ipc.conference).toEqual(["merge"]);
    expect(root.querySelector("[data-testid=call-in-conference]")).toBeNull();
  });

  it("shows the conference and offers to split it", async () => {
    const members = [call({ conference: 3 }), call({ id: 2, conference: 3 }), call({ id: 3, conference: 3 })];
    const button = card(members[0]!, members);
    expect(root.querySelector("[data-testid=call-in-conference]")?.textContent).toBe("I konferens (3)");
    expect(button.textContent).toBe("Dela upp konferensen");
    expect(button.getAttribute("aria-pressed")).toBe("true");
    button.click();
    await flush();
    expect(ipc.conference).toEqual(["split"]);
  });
});

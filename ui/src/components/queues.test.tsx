import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { QueueView } from "../ipc";
import { formatWait, QueuesPanel, waitedSeconds } from "./queues";
import { testShell, WithShell } from "./test-shell";

// The panel's IPC: a list to answer, logins recorded, and the queue-changed listener captured.
const ipc = vi.hoisted(() => ({
  list: [] as QueueView[],
  logins: [] as [string, boolean][],
  push: null as ((queue: QueueView) => void) | null,
}));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  queuesList: async () => ipc.list,
  queueLogin: async (id: string, login: boolean) => {
    ipc.logins.push([id, login]);
    const queue = ipc.list.find((q) => q.id === id) as QueueView;
    return { ...queue, meLoggedIn: login, agentsLoggedIn: queue.agentsLoggedIn + (login ? 1 : -1) };
  },
  onQueue: async (handler: (queue: QueueView) => void) => {
    ipc.push = handler;
    return () => {
      ipc.push = null;
    };
  },
}));

const root = document.createElement("div");
document.body.appendChild(root);
const NOW_S = 1_795_000_000;

const queue = (over: Partial<QueueView> = {}): QueueView => ({
  id: "support", number: "7000", name: "Support", waiting: 0, oldestWaitingSince: null,
  agentsLoggedIn: 2, agentsFree: 1, answeredToday: 17, abandonedToday: 3, meMember: true, meLoggedIn: true, ...over,
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
  vi.setSystemTime(NOW_S * 1000);
  ipc.logins = [];
  ipc.push = null;
});
afterEach(() => {
  render(null, root);
  vi.useRealTimers();
});

// act() runs Preact's effects and renders now instead of after the next frame.
const flush = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
const text = (selector: string) => root.querySelector(selector)?.textContent?.trim();
const row = (id: string) => `[data-testid="queue-${id}"]`;

async function mount(list: QueueView[], viewMode: "normal" | "acd" = "normal") {
  ipc.list = list;
  const shell = testShell();
  await act(() =>
    render(
      <WithShell shell={{ ...shell, settings: { ...shell.settings, viewMode } }}>
        <QueuesPanel prominent={viewMode === "acd"} />
      </WithShell>,
      root,
    ),
  );
  await flush();
}

describe("formatWait", () => {
  it("counts minutes and seconds, minutes past the hour", () => {
    expect(formatWait(0)).toBe("00:00");
    expect(formatWait(75.9)).toBe("01:15");
    expect(formatWait(3_725)).toBe("62:05");
    expect(formatWait(-4)).toBe("00:00");
  });

  it("is zero when nobody waits, whatever arrival the switch left", () => {
    expect(waitedSeconds(queue({ waiting: 0, oldestWaitingSince: NOW_S - 50 }), NOW_S * 1000)).toBe(0);
    expect(waitedSeconds(queue({ waiting: 1, oldestWaitingSince: NOW_S - 50 }), NOW_S * 1000)).toBe(50);
  });
});

describe("QueuesPanel", () => {
  it("renders nothing without queues (plain SIP or a switch without them)", async () => {
    await mount([]);
    expect(root.querySelector("[data-testid=queues]")).toBeNull();
  });

  it("shows each queue's counters in Swedish and highlights one with callers waiting", async () => {
    await mount([
      queue(),
      queue({ id: "sales", name: "Försäljning", number: "7001", waiting: 3, oldestWaitingSince: NOW_S - 95,
        agentsFree: 0, agentsLoggedIn: 1, answeredToday: 4, abandonedToday: 1, meLoggedIn: false }),
    ]);
    expect(text("#queues-heading")).toBe("Köer");
    expect(root.querySelector(row("support"))?.classList.contains("busy")).toBe(false);
    expect(text(`${row("support")} [data-testid=queue-waiting]`)).toBe("0");
    expect(text(`${row("support")} [data-testid=queue-longest]`)).toBe("00:00");
    expect(text(`${row("support")} [data-testid=queue-today]`)).toBe("17 / 3");
    expect(text(`${row("support")} [data-testid=queue-login]`)).toBe("Inloggad");

    const sales = row("sales");
    expect(root.querySelector(sales)?.classList.contains("busy")).toBe(true);
    expect(text(`${sales} .queue-name`)).toBe("Försäljning 7001");
    expect(text(`${sales} [data-testid=queue-waiting]`)).toBe("3");
    expect(text(`${sales} [data-testid=queue-longest]`)).toBe("01:35");
    expect(text(`${sales} [data-testid=queue-agents]`)).toBe("0 / 1");
    const toggle = root.querySelector(`${sales} [data-testid=queue-login]`) as HTMLButtonElement;
    expect(toggle.textContent).toBe("Utloggad");
    expect(toggle.getAttribute("aria-checked")).toBe("false");
    expect(toggle.getAttribute("aria-label")).toBe("Inloggad i Försäljning");
  });

  it("shows a queue I am not a member of without a login toggle", async () => {
    await mount([queue({ id: "switchboard", name: "Växel", waiting: 2, meMember: false, meLoggedIn: false })]);
    expect(text(`${row("switchboard")} [data-testid=queue-waiting]`)).toBe("2");
    expect(root.querySelector(`${row("switchboard")} [data-testid=queue-login]`)).toBeNull();
  });

  it("ticks the longest wait every second while someone waits", async () => {
    await mount([queue({ waiting: 1, oldestWaitingSince: NOW_S - 59 })]);
    const longest = `${row("support")} [data-testid=queue-longest]`;
    expect(text(longest)).toBe("00:59");
    await act(() => {
      vi.advanceTimersByTime(1_000);
    });
    expect(text(longest)).toBe("01:00");
    await act(() => {
      vi.advanceTimersByTime(61_000);
    });
    expect(text(longest)).toBe("02:01");
  });

  it("logs me out and in with the toggle and shows the switch's answer", async () => {
    await mount([queue()]);
    const toggle = () => root.querySelector(`${row("support")} [data-testid=queue-login]`) as HTMLButtonElement;
    await act(() => toggle().click());
    await flush();
    expect(ipc.logins).toEqual([["support", false]]);
    expect(toggle().textContent).toBe("Utloggad");
    expect(text(`${row("support")} [data-testid=queue-agents]`)).toBe("1 / 1");
    await act(() => toggle().click());
    await flush();
    expect(ipc.logins).toEqual([["support", false], ["support", true]]);
    expect(toggle().getAttribute("aria-checked")).toBe("true");
  });

  it("follows queue-changed events and is prominent in the ACD view", async () => {
    await mount([queue()], "acd");
    expect(root.querySelector("[data-testid=queues]")?.classList.contains("prominent")).toBe(true);
    await act(() => ipc.push?.(queue({ waiting: 2, oldestWaitingSince: NOW_S - 10, agentsFree: 0 })));
    expect(text(`${row("support")} [data-testid=queue-waiting]`)).toBe("2");
    expect(text(`${row("support")} [data-testid=queue-longest]`)).toBe("00:10");
    expect(root.querySelector(row("support"))?.classList.contains("busy")).toBe(true);
  });
});

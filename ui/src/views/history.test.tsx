import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HistoryRow } from "../ipc";
import { testShell, WithShell } from "../components/test-shell";
import { HistoryView } from "./history";

const rows = vi.hoisted(() => ({ list: [] as HistoryRow[] }));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  historyList: async () => rows.list,
  historyMarkSeen: async () => undefined,
}));

const root = document.createElement("div");
document.body.appendChild(root);

const row = (over: Partial<HistoryRow>): HistoryRow => ({
  id: 1,
  direction: "outgoing",
  remote: "9999",
  displayName: null,
  startedAt: Date.UTC(2026, 11, 7, 9, 0),
  answeredAt: Date.UTC(2026, 11, 7, 9, 0, 2),
  endedAt: Date.UTC(2026, 11, 7, 9, 0, 23),
  endReason: "bye",
  missed: false,
  recordingPath: null,
  seen: true,
  ...over,
});

async function show(list: HistoryRow[]) {
  rows.list = list;
  await act(() =>
    render(
      <WithShell shell={testShell()}>
        <HistoryView onSeen={() => undefined} />
      </WithShell>,
      root,
    ),
  );
  await act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  return [...root.querySelectorAll('[data-testid="history-row"]')].map((el) => el.textContent ?? "");
}

afterEach(async () => {
  await act(() => render(null, root));
});

describe("HistoryView", () => {
  it("says a talk was cut off beside its length, and not for one that ended normally", async () => {
    const [lost, normal] = await show([row({ id: 2, endReason: "interrupted" }), row({ id: 1 })]);
    expect(lost).toContain("0:21 · Förbindelsen bröts");
    expect(normal).toContain("0:21");
    expect(normal).not.toContain("Förbindelsen bröts");
  });
});

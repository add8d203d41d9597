import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallAction, CallView } from "../ipc";
import { translator } from "../i18n";
import { testShell, WithShell } from "./test-shell";
import { looksDialable, showTypedNumber, TypedNumber } from "./typed-number";

const ipc = vi.hoisted(() => ({ actions: [] as [number, CallAction][] }));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  callAction: async (id: number, action: CallAction) => {
    ipc.actions.push([id, action]);
  },
}));

const root = document.createElement("div");
document.body.appendChild(root);
beforeEach(() => {
  ipc.actions = [];
});
afterEach(() => render(null, root));

const call = (over: Partial<CallView> = {}): CallView => ({
  id: 7, direction: "incoming", remote: "0701234567", remoteName: "Kund AB", phase: "held", endReason: null,
  startedAt: 1_000, answeredAt: 2_000, muted: false, recording: false, ...over,
});

describe("a typed number", () => {
  it("is dialable when it is digits (with the usual separators) or a SIP address", () => {
    for (const text of ["9999", "+46 70-123 45 67", "(08) 123 45", "*21#", "sip:anna@example.se", "tel:+4681234"]) {
      expect(looksDialable(text), text).toBe(true);
    }
    for (const text of ["anna", "1", "07a", "", "sip:"]) {
      expect(looksDialable(text), text).toBe(false);
    }
  });

  it("gets its own row only when no hit carries it", () => {
    expect(showTypedNumber("9999", [])).toBe(true);
    expect(showTypedNumber("070-123", ["+46 70 999", "070123"])).toBe(false);
    expect(showTypedNumber("bertil", [])).toBe(false);
  });

  it("is called with one click, and my held call can be transferred there", async () => {
    let called = 0;
    await act(() =>
      render(
        <WithShell shell={testShell({ calls: [call()], t: translator("sv") })}>
          <TypedNumber number="0701112233" onCall={() => (called += 1)} />
        </WithShell>,
        root,
      ),
    );
    const callButton = root.querySelector("[data-testid=typed-call]") as HTMLButtonElement;
    expect(callButton.textContent).toBe("Ring 0701112233");
    await act(() => callButton.click());
    expect(called).toBe(1);
    const transfer = root.querySelector("[data-testid=typed-transfer]") as HTMLButtonElement;
    expect(transfer.textContent).toBe("Koppla hit");
    await act(() => transfer.click());
    await act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
    expect(ipc.actions).toEqual([[7, { blindTransfer: { target: "0701112233" } }]]);
  });

  it("offers no transfer without a call of mine", async () => {
    await act(() =>
      render(
        <WithShell shell={testShell({ calls: [], t: translator("en"), lang: "en" })}>
          <TypedNumber number="9999" onCall={() => {}} />
        </WithShell>,
        root,
      ),
    );
    expect(root.querySelector("[data-testid=typed-call]")?.textContent).toBe("Call 9999");
    expect(root.querySelector("[data-testid=typed-transfer]")).toBeNull();
  });
});

import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useDebounced, useNow } from "./hooks";

const root = document.createElement("div");
document.body.appendChild(root);

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  render(null, root);
  vi.useRealTimers();
});

function Debounced({ value, delay }: { value: string; delay: number }) {
  return <span>{useDebounced(value, delay)}</span>;
}

describe("useDebounced", () => {
  it("only passes the value on after it stopped changing for the delay", () => {
    act(() => render(<Debounced value="a" delay={100} />, root));
    act(() => render(<Debounced value="an" delay={100} />, root));
    act(() => {
      vi.advanceTimersByTime(60);
    });
    act(() => render(<Debounced value="ann" delay={100} />, root));
    act(() => {
      vi.advanceTimersByTime(60);
    });
    // 120 ms since the first keystroke, but only 60 since the last: still the first value.
    expect(root.textContent).toBe("a");
    act(() => {
      vi.advanceTimersByTime(40);
    });
    expect(root.textContent).toBe("ann");
  });
});

function Clock({ active }: { active: boolean }) {
  return <span>{useNow(active, 1000)}</span>;
}

describe("useNow", () => {
  it("ticks while active and stops when inactive", () => {
    vi.setSystemTime(10_000);
    act(() => render(<Clock active />, root));
    expect(root.textContent).toBe("10000");
    act(() => {
      vi.advanceTimersByTime(2000);
    });
    expect(root.textContent).toBe("12000");
    act(() => render(<Clock active={false} />, root));
    act(() => {
      vi.advanceTimersByTime(5000);
    });
    expect(root.textContent).toBe("12000");
  });
});

import { describe, expect, it } from "vitest";
import { clampSearchDelay, externalAppLink, formatDuration, keypadDigit, safeColor, splitList } from "./format";

describe("formatDuration", () => {
  it("shows minutes and zero-padded seconds", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(9_999)).toBe("0:09");
    expect(formatDuration(61_000)).toBe("1:01");
    expect(formatDuration(59 * 60_000 + 59_000)).toBe("59:59");
  });
  it("adds hours past sixty minutes", () => {
    expect(formatDuration(3_600_000)).toBe("1:00:00");
    expect(formatDuration(3_600_000 + 5 * 60_000 + 7_000)).toBe("1:05:07");
  });
  it("treats clock skew and junk as zero", () => {
    expect(formatDuration(-5_000)).toBe("0:00");
    expect(formatDuration(Number.NaN)).toBe("0:00");
  });
});

describe("clampSearchDelay", () => {
  it("never goes below 50 ms", () => {
    expect(clampSearchDelay(0)).toBe(50);
    expect(clampSearchDelay(-10)).toBe(50);
    expect(clampSearchDelay(49.4)).toBe(50);
  });
  it("keeps sane values and caps absurd ones", () => {
    expect(clampSearchDelay(150)).toBe(150);
    expect(clampSearchDelay(99_999)).toBe(2000);
  });
  it("falls back to a default for NaN", () => {
    expect(clampSearchDelay(Number.NaN)).toBe(150);
  });
});

describe("keypadDigit", () => {
  it("maps digits, star and hash", () => {
    expect(["0", "5", "9", "*", "#"].map(keypadDigit)).toEqual(["0", "5", "9", "*", "#"]);
  });
  it("ignores letters, Enter and multi-char keys", () => {
    expect(["a", "Enter", "F8", "+", " ", "12"].map(keypadDigit)).toEqual([null, null, null, null, null, null]);
  });
});

describe("safeColor", () => {
  it("accepts hex and colour words", () => {
    expect(safeColor("#2e7d32")).toBe("#2e7d32");
    expect(safeColor(" green ")).toBe("green");
  });
  it("rejects anything that could carry other CSS", () => {
    expect(safeColor("red; background: url(x)")).toBeNull();
    expect(safeColor("url(javascript:1)")).toBeNull();
    expect(safeColor(null)).toBeNull();
  });
});

describe("externalAppLink", () => {
  it("fills and encodes the number", () => {
    expect(externalAppLink("https://www.hitta.se/sök?vad={number}", "+46 70")).toBe(
      "https://www.hitta.se/sök?vad=%2B46%2070",
    );
  });
  it("refuses templates without a placeholder or with other schemes", () => {
    expect(externalAppLink("https://example.com/", "1")).toBeNull();
    expect(externalAppLink("javascript:alert({number})", "1")).toBeNull();
    expect(externalAppLink(null, "1")).toBeNull();
  });
});

describe("splitList", () => {
  it("splits on commas and newlines and drops blanks", () => {
    expect(splitList("a@x.se, b@y.se\n\n c ")).toEqual(["a@x.se", "b@y.se", "c"]);
    expect(splitList("  ")).toEqual([]);
  });
});

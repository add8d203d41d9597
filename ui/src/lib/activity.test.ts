import { describe, expect, it } from "vitest";
import type { ActivityOptionView } from "../bindings/ActivityOptionView";
import { activityLabel, formatUntil, untilFields, untilFrom } from "./activity";

const options: ActivityOptionView[] = [
  { id: "available", label: "Available", labelSv: "Tillgänglig", color: "#2e7d32", reachable: true },
  { id: "custom", label: "Training", labelSv: null, color: "#123456", reachable: false },
];

// 10:30 local time on 25 Nov 2026.
const now = new Date(2026, 10, 25, 10, 30);

describe("activityLabel", () => {
  it("prefers the Swedish label in Swedish and falls back to the switch's label", () => {
    expect(activityLabel({ id: "available", label: "Available" }, options, "sv")).toBe("Tillgänglig");
    expect(activityLabel({ id: "available", label: "Available" }, options, "en")).toBe("Available");
    expect(activityLabel({ id: "custom", label: "Training" }, options, "sv")).toBe("Training");
    expect(activityLabel({ id: "gone", label: "Gone" }, [], "sv")).toBe("Gone");
  });
});

describe("untilFrom", () => {
  it("treats an empty time as no end", () => {
    expect(untilFrom("", "", now)).toEqual({ kind: "none" });
    expect(untilFrom("2026-11-26", "", now)).toEqual({ kind: "invalid" });
  });

  it("takes a later time today and a passed time tomorrow", () => {
    const later = untilFrom("", "13:00", now);
    expect(later).toEqual({ kind: "at", iso: new Date(2026, 10, 25, 13, 0).toISOString().replace(".000Z", "Z") });
    const passed = untilFrom("", "09:15", now);
    expect(passed).toEqual({ kind: "at", iso: new Date(2026, 10, 26, 9, 15).toISOString().replace(".000Z", "Z") });
    if (passed.kind === "at") expect(passed.iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
  });

  it("uses a given date and refuses one in the past or nonsense", () => {
    const monday = untilFrom("2026-11-30", "08:00", now);
    expect(monday.kind === "at" && new Date(monday.iso).getTime()).toBe(new Date(2026, 10, 30, 8, 0).getTime());
    expect(untilFrom("2026-11-24", "12:00", now)).toEqual({ kind: "past" });
    expect(untilFrom("", "25:00", now)).toEqual({ kind: "invalid" });
    expect(untilFrom("", "lunch", now)).toEqual({ kind: "invalid" });
    expect(untilFrom("2026-02-31", "12:00", now)).toEqual({ kind: "invalid" });
  });
});

describe("formatUntil and untilFields", () => {
  it("shows only the time today and the date otherwise", () => {
    const today = new Date(2026, 10, 25, 13, 0).toISOString();
    expect(formatUntil(today, "sv", now)).toBe("13:00");
    const monday = new Date(2026, 10, 30, 8, 5).toISOString();
    expect(formatUntil(monday, "sv", now)).toMatch(/^30 nov\.? 08:05$/);
    expect(formatUntil(null, "sv", now)).toBeNull();
    expect(formatUntil("garbage", "sv", now)).toBeNull();
  });

  it("round-trips through the picker's fields", () => {
    const iso = new Date(2026, 10, 30, 8, 5).toISOString();
    const fields = untilFields(iso);
    expect(fields).toEqual({ date: "2026-11-30", time: "08:05" });
    const back = untilFrom(fields.date, fields.time, now);
    expect(back.kind === "at" && new Date(back.iso).getTime()).toBe(new Date(iso).getTime());
    expect(untilFields(null)).toEqual({ date: "", time: "" });
  });
});

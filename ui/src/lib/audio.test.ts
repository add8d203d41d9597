import { describe, expect, it } from "vitest";
import type { AudioDevicesView } from "../bindings/AudioDevicesView";
import { deviceChoices, meterFraction } from "./audio";

describe("meterFraction", () => {
  it("maps -60..0 dBFS onto the meter and clamps the rest", () => {
    expect(meterFraction(-96)).toBe(0);
    expect(meterFraction(-60)).toBe(0);
    expect(meterFraction(-30)).toBeCloseTo(0.5);
    expect(meterFraction(0)).toBe(1);
    expect(meterFraction(6)).toBe(1);
    expect(meterFraction(Number.NaN)).toBe(0);
  });
});

describe("deviceChoices", () => {
  const devices: AudioDevicesView = {
    inputs: ["Built-in Mic", "USB Headset", "USB Headset"],
    outputs: ["Speakers", "USB Headset"],
    defaultInput: "Built-in Mic",
    defaultOutput: "Speakers",
    error: null,
  };

  it("lists each device once per role", () => {
    expect(deviceChoices(devices, "input", null)).toEqual({ names: ["Built-in Mic", "USB Headset"], missing: null });
    expect(deviceChoices(devices, "output", "Speakers")).toEqual({ names: ["Speakers", "USB Headset"], missing: null });
  });

  it("keeps a saved device that is unplugged, and copes with no devices", () => {
    expect(deviceChoices(devices, "output", "Dock").missing).toBe("Dock");
    expect(deviceChoices(null, "input", null)).toEqual({ names: [], missing: null });
  });
});

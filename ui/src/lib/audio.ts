// Pure helpers for the device controls: the level meter's scale and the device choices.
import type { AudioDevicesView } from "../bindings/AudioDevicesView";

/** The meter shows -60..0 dBFS; quieter is empty, anything odd is empty too. */
export const METER_FLOOR_DBFS = -60;

export function meterFraction(dbfs: number): number {
  if (!Number.isFinite(dbfs) || dbfs <= METER_FLOOR_DBFS) return 0;
  return Math.min(1, (dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS);
}

export type DeviceRole = "input" | "output";

/**
 * The names to offer for a role. A saved device that is not plugged in right now stays in the
 * list (marked by the caller) so opening the settings does not silently forget it.
 */
export function deviceChoices(devices: AudioDevicesView | null, role: DeviceRole, saved: string | null): {
  names: string[];
  missing: string | null;
} {
  const names = devices ? (role === "input" ? devices.inputs : devices.outputs) : [];
  const unique = [...new Set(names)];
  const missing = saved && !unique.includes(saved) ? saved : null;
  return { names: unique, missing };
}

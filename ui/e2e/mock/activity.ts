// The mock switch's activity list (as Koppla Växel's default configuration) and the colleague
// presence the search shows, changeable from tests like another client would.
import type { ActivityOptionView } from "../../src/bindings/ActivityOptionView";
import type { ActivityView } from "../../src/bindings/ActivityView";
import { DIRECTORY } from "./directory";

export const ACTIVITY_OPTIONS: ActivityOptionView[] = [
  { id: "available", label: "Available", labelSv: "Tillgänglig", color: "#2e7d32", reachable: true },
  { id: "lunch", label: "Lunch", labelSv: "Lunch", color: "#f9a825", reachable: false },
  { id: "meeting", label: "Meeting", labelSv: "Möte", color: "#c62828", reachable: false },
  { id: "away", label: "Away", labelSv: "Borta", color: "#6d4c41", reachable: false },
  { id: "vacation", label: "Vacation", labelSv: "Semester", color: "#1565c0", reachable: false },
  { id: "busy", label: "Do not disturb", labelSv: "Stör ej", color: "#b71c1c", reachable: false },
];

/** The switch reports the English label; the UI picks the Swedish one from the options. */
export function activityFor(id: string, until: string | null, note: string | null): ActivityView {
  const option = ACTIVITY_OPTIONS.find((o) => o.id === id) ?? ACTIVITY_OPTIONS[0];
  return { id: option.id, label: option.label, color: option.color, reachable: option.reachable, until, note };
}

/** Directory presence carries the label as the search shows it (Swedish in this mock). */
export function setColleagueActivity(entryId: string, id: string, note: string | null): void {
  const person = DIRECTORY.find((p) => p.id === entryId);
  const option = ACTIVITY_OPTIONS.find((o) => o.id === id);
  if (!person || !option) throw new Error(`mock: no colleague ${entryId} or activity ${id}`);
  person.presence = { label: option.labelSv ?? option.label, color: option.color, reachable: option.reachable, note };
}

// Pure helpers for the activity (presence) on the start page: labels in the UI language and end
// times between the picker's local "date + time" and the switch's RFC 3339 UTC.
import type { ActivityOptionView } from "../bindings/ActivityOptionView";
import type { Lang } from "../i18n";

/** The label in the UI language: the switch's Swedish label when there is one. */
export function activityLabel(
  activity: { id: string; label: string },
  options: readonly ActivityOptionView[],
  lang: Lang,
): string {
  const option = options.find((o) => o.id === activity.id);
  if (lang === "sv" && option?.labelSv) return option.labelSv;
  return option?.label || activity.label;
}

export type UntilResult = { kind: "none" } | { kind: "at"; iso: string } | { kind: "invalid" } | { kind: "past" };

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * The picker's end time. An empty time means "no end"; a time without a date means its next
 * occurrence (today, or tomorrow once it has passed), which is what "back at 13:00" means.
 */
export function untilFrom(date: string, time: string, now: Date): UntilResult {
  const clock = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!time.trim()) return date.trim() ? { kind: "invalid" } : { kind: "none" };
  if (!clock) return { kind: "invalid" };
  const hours = Number(clock[1]);
  const minutes = Number(clock[2]);
  if (hours > 23 || minutes > 59) return { kind: "invalid" };
  let at: Date;
  if (date.trim()) {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
    if (!day) return { kind: "invalid" };
    at = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]), hours, minutes);
    if (at.getDate() !== Number(day[3])) return { kind: "invalid" };
    if (at.getTime() <= now.getTime()) return { kind: "past" };
  } else {
    at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), hours, minutes);
    if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
  }
  // The switch wants RFC 3339; whole seconds keep it simple for any parser.
  return { kind: "at", iso: at.toISOString().replace(/\.\d{3}Z$/, "Z") };
}

/** The picker's fields for an existing end time, in local time. */
export function untilFields(until: string | null): { date: string; time: string } {
  const at = until ? new Date(until) : null;
  if (!at || Number.isNaN(at.getTime())) return { date: "", time: "" };
  return {
    date: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`,
    time: `${pad(at.getHours())}:${pad(at.getMinutes())}`,
  };
}

/** An end time as people read it: "13:00" today, with the date on other days. */
export function formatUntil(until: string | null, lang: Lang, now: Date): string | null {
  const at = until ? new Date(until) : null;
  if (!at || Number.isNaN(at.getTime())) return null;
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const sameDay =
    at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  if (sameDay) return time;
  const day = at.toLocaleDateString(lang === "sv" ? "sv-SE" : "en-GB", { day: "numeric", month: "short" });
  return `${day} ${time}`;
}

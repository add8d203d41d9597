// Pure helpers the views share; kept free of Preact so they are unit-tested directly.

/** "m:ss" below an hour, "h:mm:ss" above; negative or non-finite input counts as zero. */
export function formatDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${ss}` : `${minutes}:${ss}`;
}

export const MIN_SEARCH_DELAY_MS = 50;
export const MAX_SEARCH_DELAY_MS = 2000;
const DEFAULT_SEARCH_DELAY_MS = 150;

/** The search debounce: the manual's floor of 50 ms, a sane ceiling, a default for junk. */
export function clampSearchDelay(ms: number): number {
  if (!Number.isFinite(ms)) return DEFAULT_SEARCH_DELAY_MS;
  return Math.min(MAX_SEARCH_DELAY_MS, Math.max(MIN_SEARCH_DELAY_MS, Math.round(ms)));
}

/**
 * Digit keys that send DTMF. Numpad keys report the same `key`, so one table covers both.
 * Returns null for everything else so typing elsewhere never leaks tones.
 */
export function keypadDigit(key: string): string | null {
  return /^[0-9*#]$/.test(key) ? key : null;
}

/** The on-screen keypad layout, row by row. */
export const KEYPAD_ROWS: readonly (readonly string[])[] = [
  ["1", "2", "3"],
  ["4", "5", "6"],
  ["7", "8", "9"],
  ["*", "0", "#"],
];

/**
 * Presence colours come from the switch; only plain hex or a CSS colour word is allowed so a
 * hostile value can never smuggle other CSS into a style attribute.
 */
export function safeColor(color: string | null | undefined): string | null {
  if (!color) return null;
  const value = color.trim();
  return /^#[0-9a-fA-F]{3,8}$/.test(value) || /^[a-zA-Z]{3,20}$/.test(value) ? value : null;
}

/**
 * Fills `{number}` in the external application template. Only http(s) templates are opened, and
 * the number is URL-encoded, so a caller ID cannot change which site is opened.
 */
export function externalAppLink(template: string | null, number: string): string | null {
  if (!template || !template.includes("{number}")) return null;
  if (!/^https?:\/\//i.test(template.trim())) return null;
  return template.trim().split("{number}").join(encodeURIComponent(number));
}

/** Splits a comma- or newline-separated field into trimmed, non-empty items. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

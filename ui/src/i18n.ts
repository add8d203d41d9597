// UI text in Swedish (the default) and English; the tables live in lang/. A missing English
// text falls back to Swedish so nothing ever renders as a bare key.
import { en } from "./lang/en";
import { sv, type TextKey } from "./lang/sv";

export type { TextKey };
export type Lang = "sv" | "en";
export type Translate = (key: TextKey, vars?: Record<string, string>) => string;

const tables: Record<Lang, Partial<Record<TextKey, string>>> = { sv, en };

export function translate(lang: Lang, key: TextKey, vars: Record<string, string> = {}): string {
  const template = tables[lang][key] ?? sv[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

export function translator(lang: Lang): Translate {
  return (key, vars) => translate(lang, key, vars);
}

/** Error codes come from Rust (`DialError::code`); unknown codes fall back to the message. */
export function translateErrorCode(lang: Lang, code: string, fallback: string): string {
  const key = `error.${code}` as TextKey;
  // A text may quote the backend's own detail as {message} (e.g. which line of a file is wrong).
  return key in sv ? translate(lang, key, { message: fallback }) : fallback;
}

/** Keys present in Swedish but missing (or empty) in the given table. */
export function missingKeys(table: Partial<Record<string, string>>): string[] {
  return Object.keys(sv).filter((key) => !table[key]);
}

export function toLang(value: string | null | undefined): Lang | null {
  return value === "sv" || value === "en" ? value : null;
}

export function initialLang(stored: string | null, browser: string): Lang {
  return toLang(stored) ?? (browser.toLowerCase().startsWith("en") ? "en" : "sv");
}

export { en as englishTable, sv as swedishTable };

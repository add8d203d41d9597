// UI text in Swedish (the default) and English. Keys are grouped by view; a missing English
// text falls back to Swedish so nothing ever renders as a bare key.

export type Lang = "sv" | "en";

const sv = {
  "app.title": "Koppla",
  "nav.start": "Start",
  "nav.history": "Historik",
  "nav.contacts": "Kontakter",
  "nav.settings": "Inställningar",
  "search.placeholder": "Sök namn eller nummer",
  "search.hint": "Enter ringer",
  "dial.confirm": "Ringa {number}?",
  "dial.call": "Ring",
  "dial.cancel": "Avbryt",
  "dial.fromLink": "Från en länk",
  "dial.fromHotkey": "Markerat nummer",
  "dial.refused": "Kan inte ringa: {reason}",
  "dial.noEngine": "Inget samtalskonto är anslutet ännu.",
  "error.empty": "ingen text markerad",
  "error.not_a_number": "det är inte ett telefonnummer eller en SIP-adress",
  "error.too_long": "texten är för lång",
  "error.unsupported_scheme": "den länktypen stöds inte",
  "error.control_character": "texten innehåller otillåtna tecken",
  "error.invalid_sip_uri": "ogiltig SIP-adress",
  "settings.language": "Språk",
  "settings.hotkey": "Kortkommando för att ringa markerat nummer",
  "settings.hotkeySave": "Spara",
  "settings.hotkeyActive": "Aktivt: {key}",
  "settings.hotkeyFailed": "Kunde inte registrera {key}: {error}",
  "history.empty": "Inga samtal ännu.",
  "contacts.empty": "Inga sparade kontakter ännu.",
} as const;

export type TextKey = keyof typeof sv;

const en: Partial<Record<TextKey, string>> = {
  "app.title": "Koppla",
  "nav.start": "Home",
  "nav.history": "History",
  "nav.contacts": "Contacts",
  "nav.settings": "Settings",
  "search.placeholder": "Search name or number",
  "search.hint": "Enter calls",
  "dial.confirm": "Call {number}?",
  "dial.call": "Call",
  "dial.cancel": "Cancel",
  "dial.fromLink": "From a link",
  "dial.fromHotkey": "Highlighted number",
  "dial.refused": "Cannot call: {reason}",
  "dial.noEngine": "No calling account is connected yet.",
  "error.empty": "no text is highlighted",
  "error.not_a_number": "that is not a phone number or SIP address",
  "error.too_long": "the text is too long",
  "error.unsupported_scheme": "that kind of link is not supported",
  "error.control_character": "the text contains characters that are not allowed",
  "error.invalid_sip_uri": "invalid SIP address",
  "settings.language": "Language",
  "settings.hotkey": "Hotkey to call the highlighted number",
  "settings.hotkeySave": "Save",
  "settings.hotkeyActive": "Active: {key}",
  "settings.hotkeyFailed": "Could not register {key}: {error}",
  "history.empty": "No calls yet.",
  "contacts.empty": "No saved contacts yet.",
};

const tables: Record<Lang, Partial<Record<TextKey, string>>> = { sv, en };

export function translate(lang: Lang, key: TextKey, vars: Record<string, string> = {}): string {
  const template = tables[lang][key] ?? sv[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** Error codes come from Rust (`DialError::code`); unknown codes fall back to the message. */
export function translateErrorCode(lang: Lang, code: string, fallback: string): string {
  const key = `error.${code}` as TextKey;
  return key in sv ? translate(lang, key) : fallback;
}

export function initialLang(stored: string | null, browser: string): Lang {
  if (stored === "sv" || stored === "en") return stored;
  return browser.toLowerCase().startsWith("en") ? "en" : "sv";
}

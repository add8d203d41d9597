// The mock's persistent state. It lives in localStorage so a page reload keeps settings,
// contacts, history and (with "stay logged in") the session, as the real database would.
import type { AppSettings } from "../../src/bindings/AppSettings";
import type { ContactView } from "../../src/bindings/ContactView";
import type { HistoryRow } from "../../src/bindings/HistoryRow";
import type { SessionView } from "../../src/bindings/SessionView";

export interface MockState {
  settings: AppSettings;
  contacts: ContactView[];
  history: HistoryRow[];
  session: SessionView;
  nextId: number;
}

const KEY = "koppla.mock";

export const DEFAULT_SETTINGS: AppSettings = {
  language: "sv",
  linkAction: "ask",
  hotkey: "F8",
  answerWithEnter: true,
  autoAnswer: false,
  acceptDirectCalls: false,
  incomingPopup: true,
  notifications: true,
  searchDelayMs: 150,
  echoCancellation: true,
  noiseSuppression: true,
  gainControl: true,
  minimalContactList: false,
  autostart: false,
  stayLoggedIn: true,
  viewMode: "normal",
  externalAppUrl: null,
  audioInput: null,
  audioOutput: null,
  audioRingtone: null,
  volume: 100,
  callKeys: { answer: "Ctrl+Shift+A", hangup: "Ctrl+Shift+E", hold: "Ctrl+Shift+H", mute: "Ctrl+Shift+M", focusSearch: "Ctrl+F" },
  externalAppOpen: "off",
  messageTemplates: ["Ring mig när du kan", "Jag sitter i möte, återkommer"],
  emailSeparator: "semicolon",
  campOnReminderSecs: 30,
  voicemailNumber: null,
  echoHintDismissed: false,
  endedCardSecs: 3,
};

function fresh(): MockState {
  return {
    settings: { ...DEFAULT_SETTINGS },
    contacts: [
      { id: 1, name: "Britt Ek", company: "Ek & Son", title: "VD", emails: ["britt@ek.se"],
        numbers: [{ label: "mobil", number: "070-111 22 33" }], keywords: ["leverantör"], kind: "vip", notes: "" },
      { id: 2, name: "Pelle Holm", company: "Holm Bygg", title: "", emails: ["pelle@holmbygg.se"],
        numbers: [{ label: "arbete", number: "08-555 123 45" }], keywords: [], kind: "favourite", notes: "" },
    ],
    history: [],
    session: { state: "loggedOut", error: null, last_username: null, last_kind: null },
    nextId: 100,
  };
}

export function load(): MockState {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return fresh();
    const state = JSON.parse(raw) as MockState;
    // A restart keeps the session only when the user chose to stay logged in.
    if (state.session.state !== "loggedOut" && !state.settings.stayLoggedIn) {
      state.session = { state: "loggedOut", error: null, last_username: null, last_kind: null };
    }
    return state;
  } catch {
    return fresh();
  }
}

export function save(state: MockState): void {
  localStorage.setItem(KEY, JSON.stringify(state));
}

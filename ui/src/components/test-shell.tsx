// A Shell for component tests: real translations, settings as given, commands recorded.
import type { ComponentChildren } from "preact";
import { ShellContext, type Shell } from "../context";
import { translator } from "../i18n";
import type { AppSettings, CallView, PlaceTarget } from "../ipc";

export const TEST_SETTINGS: AppSettings = {
  language: "sv", linkAction: "ask", hotkey: "F8", answerWithEnter: true, autoAnswer: false, acceptDirectCalls: false, incomingPopup: true,
  notifications: true, searchDelayMs: 150, echoCancellation: true, noiseSuppression: true, gainControl: true, minimalContactList: false, autostart: false,
  stayLoggedIn: true, viewMode: "normal", externalAppUrl: null, audioInput: null, audioOutput: null,
  audioRingtone: null, volume: 100,
  callKeys: { answer: "Ctrl+Shift+A", hangup: "Ctrl+Shift+E", hold: "Ctrl+Shift+H", mute: "Ctrl+Shift+M", focusSearch: "Ctrl+F" },
  externalAppOpen: "off", messageTemplates: ["Ring mig när du kan", "Jag sitter i möte, återkommer"],
  emailSeparator: "semicolon", campOnReminderSecs: 30, voicemailNumber: null,
  echoHintDismissed: false,
  endedCardSecs: 3,
};

export function testShell(overrides: Partial<Shell> = {}): Shell & { placed: PlaceTarget[] } {
  const placed: PlaceTarget[] = [];
  return {
    lang: "sv",
    t: translator("sv"),
    settings: TEST_SETTINGS,
    calls: [] as CallView[],
    historyVersion: 0,
    run: async (task) => task(),
    saveSettings: async () => undefined,
    place: async (target) => {
      placed.push(target);
      return true;
    },
    setSession: () => undefined,
    placed,
    ...overrides,
  };
}

export const WithShell = ({ shell, children }: { shell: Shell; children: ComponentChildren }) => (
  <ShellContext.Provider value={shell}>{children}</ShellContext.Provider>
);

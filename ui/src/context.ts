// What every view needs from the shell, passed by context instead of through each prop list.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Lang, Translate } from "./i18n";
import type { AppSettings, CallView, PlaceTarget, SessionView } from "./ipc";

export interface Shell {
  lang: Lang;
  t: Translate;
  settings: AppSettings;
  calls: CallView[];
  /** Bumped whenever the backend reports a history change, so lists reload. */
  historyVersion: number;
  /** Runs a command; a rejection becomes a visible, translated notice instead of being lost. */
  run: <T>(task: () => Promise<T>) => Promise<T | undefined>;
  saveSettings: (next: AppSettings) => Promise<void>;
  /** Places a call; false when it was refused (the notice already says why). */
  place: (target: PlaceTarget) => Promise<boolean>;
  /** Applies a session returned by login/logout without waiting for the event. */
  setSession: (session: SessionView) => void;
}

export const ShellContext = createContext<Shell | null>(null);

export function useShell(): Shell {
  const shell = useContext(ShellContext);
  if (!shell) throw new Error("useShell outside ShellContext");
  return shell;
}

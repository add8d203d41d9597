import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { HelpDialog, type HelpTopic } from "./components/help-dialog";
import { ShellContext, type Shell } from "./context";
import { initialLang, toLang, translate, translateErrorCode, translator } from "./i18n";
import {
  asUiError,
  callPlace,
  onMenuNavigate,
  onNotice,
  onSession,
  sessionGet,
  settingsGet,
  settingsSet,
  type AppSettings,
  type CallView,
  type MenuTarget,
  type PlaceTarget,
  type SessionView,
  type UiError,
} from "./ipc";
import { isHelpTarget } from "./lib/menu";
import { LoginView } from "./views/login";
import { MainView } from "./views/main";

/** Loads settings and the session, then shows login or the main window. */
export function App() {
  const [settings, setSettings] = useState<AppSettings | null>(null);
  const [session, setSession] = useState<SessionView | null>(null);
  const [bootError, setBootError] = useState<UiError | null>(null);
  const [notice, setNotice] = useState<UiError | null>(null);
  const [calls, setCalls] = useState<CallView[]>([]);
  const [historyVersion, setHistoryVersion] = useState(0);
  const [helpTopic, setHelpTopic] = useState<HelpTopic | null>(null);
  // The last menu bar request for a view; `seq` makes choosing the same item twice count.
  const [menuRequest, setMenuRequest] = useState<{ target: MenuTarget; seq: number } | null>(null);

  const lang = toLang(settings?.language) ?? initialLang(localStorage.getItem("koppla.lang"), navigator.language);
  const t = useMemo(() => translator(lang), [lang]);

  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem("koppla.lang", lang);
  }, [lang]);

  useEffect(() => {
    Promise.all([settingsGet(), sessionGet()])
      .then(([loadedSettings, loadedSession]) => {
        setSettings(loadedSettings);
        setSession(loadedSession);
      })
      .catch((error) => setBootError(asUiError(error)));
    const onMenu = (target: MenuTarget) => {
      if (isHelpTarget(target)) {
        setHelpTopic(target);
      } else {
        setHelpTopic(null);
        setMenuRequest((last) => ({ target, seq: (last?.seq ?? 0) + 1 }));
      }
    };
    const stops = [onSession(setSession), onNotice(setNotice), onMenuNavigate(onMenu)];
    return () => stops.forEach((stop) => void stop.then((unlisten) => unlisten()));
  }, []);

  // Calls belong to a session; the list listener lives in MainView, so clear them on the way out.
  useEffect(() => {
    if (session?.state !== "online") setCalls([]);
  }, [session?.state]);

  const run = useCallback(async <T,>(task: () => Promise<T>) => {
    try {
      return await task();
    } catch (error) {
      setNotice(asUiError(error));
      return undefined;
    }
  }, []);

  const saveSettings = useCallback(
    async (next: AppSettings) => {
      setSettings(next);
      const stored = await run(() => settingsSet(next));
      // A refused change (e.g. the OS would not add the login item) shows what was kept.
      const kept = stored ?? (await run(settingsGet));
      if (kept) setSettings(kept);
    },
    [run],
  );

  // Success is "did not throw": the answer is the new call's id, but the call itself arrives
  // then arrives through onCalls), so the return value is not used.
  const place = useCallback(async (target: PlaceTarget) => {
    try {
      await callPlace(target);
      return true;
    } catch (error) {
      setNotice(asUiError(error));
      return false;
    }
  }, []);

  if (bootError) {
    return <p class="boot error">{translate(lang, "error.generic", { message: bootError.message })}</p>;
  }
  if (!settings || !session) return <p class="boot" aria-busy="true" />;

  const shell: Shell = { lang, t, settings, calls, historyVersion, run, saveSettings, place, setSession };
  return (
    <ShellContext.Provider value={shell}>
      {session.state === "online" ? (
        <MainView
          session={session}
          onCalls={setCalls}
          onHistoryChanged={() => setHistoryVersion((v) => v + 1)}
          menuRequest={menuRequest}
        />
      ) : (
        <LoginView session={session} />
      )}
      {helpTopic && <HelpDialog topic={helpTopic} onClose={() => setHelpTopic(null)} />}
      {notice && (
        <div class="notice" role="alert" data-testid="notice">
          <span>{t("error.generic", { message: translateErrorCode(lang, notice.code, notice.message) })}</span>
          <button onClick={() => setNotice(null)}>{t("error.dismiss")}</button>
        </div>
      )}
    </ShellContext.Provider>
  );
}

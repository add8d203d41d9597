import { useEffect, useState } from "preact/hooks";
import { initialLang, type Lang, translate, type TextKey } from "./i18n";
import { watchDialRequests, type DialRequest } from "./ipc";
import { StartView } from "./views/start";
import { SettingsView } from "./views/settings";

type Tab = "start" | "history" | "contacts" | "settings";
const TABS: { id: Tab; label: TextKey }[] = [
  { id: "start", label: "nav.start" },
  { id: "history", label: "nav.history" },
  { id: "contacts", label: "nav.contacts" },
  { id: "settings", label: "nav.settings" },
];

export function App() {
  const [lang, setLang] = useState<Lang>(() =>
    initialLang(localStorage.getItem("koppla.lang"), navigator.language),
  );
  const [tab, setTab] = useState<Tab>("start");
  const [dialRequest, setDialRequest] = useState<DialRequest | null>(null);
  const t = (key: TextKey, vars?: Record<string, string>) => translate(lang, key, vars);

  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem("koppla.lang", lang);
  }, [lang]);

  useEffect(() => {
    const stop = watchDialRequests((request) => {
      setTab("start");
      setDialRequest(request);
    });
    return () => void stop.then((unlisten) => unlisten());
  }, []);

  return (
    <div class="shell">
      <nav class="tabs" aria-label={t("app.title")}>
        {TABS.map(({ id, label }) => (
          <button
            key={id}
            class={tab === id ? "tab active" : "tab"}
            aria-current={tab === id ? "page" : undefined}
            data-testid={`tab-${id}`}
            onClick={() => setTab(id)}
          >
            {t(label)}
          </button>
        ))}
      </nav>
      <main class="view">
        {tab === "start" && (
          <StartView lang={lang} request={dialRequest} onDismiss={() => setDialRequest(null)} />
        )}
        {tab === "history" && <p class="empty">{t("history.empty")}</p>}
        {tab === "contacts" && <p class="empty">{t("contacts.empty")}</p>}
        {tab === "settings" && <SettingsView lang={lang} onLang={setLang} />}
      </main>
    </div>
  );
}

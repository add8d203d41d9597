import { useEffect, useRef } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { AboutPage } from "../views/about";
import { DiagnosticsPage } from "../views/diagnostics";
import { HelpPage, PrivacyPage } from "../views/help-pages";

export type HelpTopic = "about" | "help" | "privacy" | "diagnostics";

const TITLES: Record<HelpTopic, TextKey> = {
  about: "about.title",
  help: "help.title",
  privacy: "privacy.title",
  diagnostics: "diagnostics.title",
};

/** The Help menu's pages, over whatever view is open (they work logged in or out). */
export function HelpDialog({ topic, onClose }: { topic: HelpTopic; onClose: () => void }) {
  const { t } = useShell();
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), [topic]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div class="help-backdrop">
      <section class="help-dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid={`help-${topic}`}>
        <header>
          <h2 id="help-title">{t(TITLES[topic])}</h2>
          <button ref={close} data-testid="help-close" onClick={onClose}>
            {t("about.close")}
          </button>
        </header>
        {topic === "about" && <AboutPage />}
        {topic === "help" && <HelpPage />}
        {topic === "privacy" && <PrivacyPage />}
        {topic === "diagnostics" && <DiagnosticsPage />}
      </section>
    </div>
  );
}

import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { aboutGet, type AboutView } from "../ipc";

/** Help → Help: the short guide kept in the app (there is no manual on a web page yet). */
export function HelpPage() {
  const { t, settings } = useShell();
  return (
    <ul class="help" data-testid="help-guide">
      <li>{t("help.call")}</li>
      <li>{t("help.answer")}</li>
      <li>{t("help.hotkey", { hotkey: settings.hotkey })}</li>
      <li>{t("help.tray")}</li>
      <li>{t("help.menu")}</li>
      <li>{t("help.trouble")}</li>
    </ul>
  );
}

/** Help → Privacy: what is stored where, with this computer's real folders. */
export function PrivacyPage() {
  const { t, run } = useShell();
  const [about, setAbout] = useState<AboutView | null>(null);
  useEffect(() => void run(aboutGet).then((loaded) => loaded && setAbout(loaded)), []);
  return (
    <ul class="help" data-testid="privacy">
      <li>{t("privacy.passwords")}</li>
      <li>{t("privacy.history", { path: about?.dataDir ?? "…" })}</li>
      <li>{t("privacy.network")}</li>
      <li>
        {t("privacy.logs")}
        {about?.logDir && <code> {about.logDir}</code>}
      </li>
      <li>{t("privacy.diagnostics")}</li>
    </ul>
  );
}

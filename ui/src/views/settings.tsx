import { useEffect, useState } from "preact/hooks";
import { type Lang, translate, type TextKey } from "../i18n";
import { hotkeyGet, hotkeySet } from "../ipc";

interface Props {
  lang: Lang;
  onLang: (lang: Lang) => void;
}

export function SettingsView({ lang, onLang }: Props) {
  const t = (key: TextKey, vars?: Record<string, string>) => translate(lang, key, vars);
  const [hotkey, setHotkey] = useState("");
  const [hotkeyStatus, setHotkeyStatus] = useState<string | null>(null);

  useEffect(() => {
    void hotkeyGet().then((key) => {
      setHotkey(key);
      setHotkeyStatus(t("settings.hotkeyActive", { key }));
    });
  }, []);

  const saveHotkey = async () => {
    const status = await hotkeySet(hotkey.trim());
    setHotkeyStatus(
      status.registered
        ? t("settings.hotkeyActive", { key: status.accelerator })
        : t("settings.hotkeyFailed", { key: status.accelerator, error: status.error ?? "" }),
    );
  };

  return (
    <section class="settings">
      <label>
        {t("settings.language")}
        <select
          data-testid="language"
          value={lang}
          onChange={(event) => onLang(event.currentTarget.value === "en" ? "en" : "sv")}
        >
          <option value="sv">Svenska</option>
          <option value="en">English</option>
        </select>
      </label>
      <label>
        {t("settings.hotkey")}
        <span class="row">
          <input data-testid="hotkey" value={hotkey} onInput={(e) => setHotkey(e.currentTarget.value)} />
          <button onClick={() => void saveHotkey()}>{t("settings.hotkeySave")}</button>
        </span>
      </label>
      {hotkeyStatus && <small role="status">{hotkeyStatus}</small>}
    </section>
  );
}

import { useState } from "preact/hooks";
import { useShell } from "../context";
import type { EmailSeparator } from "../ipc";

const SEPARATORS: readonly EmailSeparator[] = ["semicolon", "comma"];

/** Settings → message templates ("Send message" on a contact) and the e-mail address separator. */
export function MessageSettings() {
  const { t, settings, saveSettings } = useShell();
  const [drafts, setDrafts] = useState<string[]>(settings.messageTemplates);
  const saved = settings.messageTemplates.join("\n");
  const [shown, setShown] = useState(saved);

  // What was saved (trimmed, without blanks) comes back from Rust: show that, during this render
  // rather than in an effect, so an "add" right after a save is not overwritten a frame later.
  if (saved !== shown) {
    setShown(saved);
    setDrafts(settings.messageTemplates);
  }

  const save = (next: string[]) => {
    const templates = next.map((text) => text.trim()).filter((text) => text !== "");
    if (templates.join("\n") !== settings.messageTemplates.join("\n")) {
      void saveSettings({ ...settings, messageTemplates: templates });
    } else {
      setDrafts(next);
    }
  };

  const withText = (index: number, text: string) => drafts.map((draft, i) => (i === index ? text : draft));

  return (
    <fieldset data-testid="settings-messages">
      <legend>{t("settings.groupMessages")}</legend>
      <div class="templates">
        <span>{t("settings.templates")}</span>
        <ul class="template-list">
          {drafts.map((draft, index) => (
            <li key={index} class="row">
              <input
                data-testid={`template-${index}`}
                value={draft}
                maxLength={300}
                placeholder={t("settings.templateNew")}
                aria-label={`${t("settings.templates")} ${index + 1}`}
                onInput={(e) => setDrafts(withText(index, e.currentTarget.value))}
                onBlur={(e) => save(withText(index, e.currentTarget.value))}
                onKeyDown={(e) => e.key === "Enter" && save(withText(index, e.currentTarget.value))}
              />
              <button
                type="button"
                data-testid={`template-remove-${index}`}
                title={t("settings.templateRemove")}
                aria-label={t("settings.templateRemove")}
                onClick={() => save(drafts.filter((_, i) => i !== index))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
        <button type="button" data-testid="template-add" disabled={drafts.length >= 20} onClick={() => setDrafts([...drafts, ""])}>
          {t("settings.templateAdd")}
        </button>
      </div>
      <label>
        {t("settings.emailSeparator")}
        <select
          data-testid="setting-emailSeparator"
          value={settings.emailSeparator}
          onChange={(e) =>
            void saveSettings({
              ...settings,
              emailSeparator: e.currentTarget.value === "comma" ? "comma" : "semicolon",
            })
          }
        >
          {SEPARATORS.map((separator) => (
            <option key={separator} value={separator}>
              {t(`settings.emailSeparator.${separator}`)}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}

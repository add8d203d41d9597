import { useState } from "preact/hooks";
import { useShell } from "../context";
import { diagnosticsSave, openExternal, type DiagnosticsSaved } from "../ipc";

/** Help → Diagnostics: makes the zip for support, says where it is, and offers the mail. */
export function DiagnosticsPage() {
  const { t, run } = useShell();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<DiagnosticsSaved | null>(null);

  const create = async () => {
    setBusy(true);
    const result = await run(diagnosticsSave);
    setBusy(false);
    if (result) setSaved(result);
  };

  return (
    <div class="diagnostics" data-testid="diagnostics">
      <p>{t("diagnostics.intro")}</p>
      <button class="primary" data-testid="diagnostics-create" disabled={busy} aria-busy={busy} onClick={() => void create()}>
        {t("diagnostics.create")}
      </button>
      {saved && (
        <>
          <p data-testid="diagnostics-saved">
            {t("diagnostics.saved", { path: saved.path, count: String(saved.sipMessages) })}
          </p>
          <p class="hint">{t("diagnostics.attach")}</p>
          <button data-testid="diagnostics-mail" onClick={() => void run(() => openExternal(saved.mailto))}>
            {t("diagnostics.mail")}
          </button>
        </>
      )}
    </div>
  );
}

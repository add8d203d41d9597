import { useEffect, useRef, useState } from "preact/hooks";
import { type Lang, translate, translateErrorCode, type TextKey } from "../i18n";
import { parseDialInput, type DialOutcome, type DialRequest } from "../ipc";

interface Props {
  lang: Lang;
  request: DialRequest | null;
  onDismiss: () => void;
}

/** The start page: one box to search or dial, and the confirmation for numbers from outside. */
export function StartView({ lang, request, onDismiss }: Props) {
  const t = (key: TextKey, vars?: Record<string, string>) => translate(lang, key, vars);
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (request?.outcome.kind === "dialable") {
      setQuery(request.outcome.candidate.display);
      setStatus(null);
      input.current?.focus();
    }
  }, [request]);

  const describeRefusal = (outcome: DialOutcome) =>
    outcome.kind === "refused"
      ? t("dial.refused", { reason: translateErrorCode(lang, outcome.code, outcome.message) })
      : null;

  const dial = async (text: string) => {
    const outcome = await parseDialInput(text);
    setStatus(describeRefusal(outcome) ?? t("dial.noEngine"));
  };

  return (
    <section class="start">
      {request && (
        <div class="dial-request" role="dialog" data-testid="dial-request">
          <small>{t(request.origin === "hotkey" ? "dial.fromHotkey" : "dial.fromLink")}</small>
          {request.outcome.kind === "dialable" ? (
            <>
              <strong data-testid="dial-request-number">
                {t("dial.confirm", { number: request.outcome.candidate.display })}
              </strong>
              <div class="actions">
                <button class="primary" onClick={() => void dial(request.outcome.kind === "dialable" ? request.outcome.candidate.dialString : "")}>
                  {t("dial.call")}
                </button>
                <button onClick={onDismiss}>{t("dial.cancel")}</button>
              </div>
            </>
          ) : (
            <strong class="error" data-testid="dial-request-error">
              {describeRefusal(request.outcome)}
            </strong>
          )}
        </div>
      )}
      <input
        ref={input}
        class="search"
        type="search"
        data-testid="search"
        value={query}
        placeholder={t("search.placeholder")}
        aria-describedby="search-hint"
        onInput={(event) => setQuery(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && query.trim()) void dial(query);
          if (event.key === "Escape") onDismiss();
        }}
      />
      <small id="search-hint" class="hint">
        {t("search.hint")}
      </small>
      {status && (
        <p class="status" role="status" data-testid="status">
          {status}
        </p>
      )}
    </section>
  );
}

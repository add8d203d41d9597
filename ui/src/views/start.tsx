import { useEffect, useRef, useState } from "preact/hooks";
import { OwnActivity } from "../components/activity";
import { ContactField } from "../components/contact-field";
import { Dialpad } from "../components/dialpad";
import { EchoHint } from "../components/echo-hint";
import { PasswordNote } from "../components/password-note";
import { QueuesPanel } from "../components/queues";
import { SearchHit } from "../components/search-hit";
import { showTypedNumber, TypedNumber } from "../components/typed-number";
import { useShell } from "../context";
import { useDebounced } from "../hooks";
import { translateErrorCode } from "../i18n";
import { onSearchChanged, search, searchEnter, type DialOutcome, type DialRequest, type PlaceTarget, type SearchResultsView, type SessionView } from "../ipc";
import { clampSearchDelay } from "../lib/format";

interface Props {
  session: Extract<SessionView, { state: "online" }>;
  missed: number;
  request: DialRequest | null;
  onDismiss: () => void;
  onOpenHistory: () => void;
}

/** The start page: own status, missed calls, and the one box to search or dial. */
export function StartView({ session, missed, request, onDismiss, onOpenHistory }: Props) {
  const { t, lang, settings, run, place } = useShell();
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<SearchResultsView | null>(null);
  const [selected, setSelected] = useState(0);
  const [status, setStatus] = useState<string | null>(null);
  // Bumped when the backend says results may differ (a colleague's activity changed).
  const [searchVersion, setSearchVersion] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const shownVersion = useRef(0);
  const settled = useDebounced(query, clampSearchDelay(settings.searchDelayMs));

  useEffect(() => {
    input.current?.focus();
    const stop = onSearchChanged(() => setSearchVersion((v) => v + 1));
    return () => void stop.then((unlisten) => unlisten());
  }, []);

  useEffect(() => {
    if (request?.outcome.kind === "dialable") {
      setQuery(request.outcome.candidate.display);
      setStatus(null);
      input.current?.focus();
    }
  }, [request]);

  useEffect(() => {
    const text = settled.trim();
    if (!text) {
      setResults(null);
      return;
    }
    let current = true;
    const refresh = searchVersion !== shownVersion.current;
    shownVersion.current = searchVersion;
    void run(() => search(text)).then((found) => {
      // A slow answer for an older query must not replace a newer one.
      if (current && found) {
        setResults(found);
        // A live refresh keeps the row the user is on; a new query starts at the top.
        setSelected((row) => (refresh ? Math.max(0, Math.min(row, found.hits.length - 1)) : 0));
      }
    });
    return () => {
      current = false;
    };
  }, [settled, searchVersion]);

  const describeRefusal = (outcome: DialOutcome) =>
    outcome.kind === "refused"
      ? t("dial.refused", { reason: translateErrorCode(lang, outcome.code, outcome.message) })
      : null;

  const callTarget = async (target: PlaceTarget) => {
    setStatus(null);
    onDismiss();
    if (await place(target)) {
      // The call list shows who is called; a clear box is ready for the next search.
      setQuery("");
      setResults(null);
    }
  };

  const enter = async () => {
    const text = query.trim();
    if (!text) return;
    // Results shown for the text in the box win; otherwise the backend decides what Enter dials.
    const hit = settled.trim() === text ? results?.hits[selected] : undefined;
    if (hit?.number) return callTarget(hit.number);
    return dialText(text);
  };

  /** What Enter does with text no hit answers: the backend decides what it dials. */
  const dialText = async (text: string) => {
    const target = await run(() => searchEnter(text));
    if (target === undefined) return;
    if (target === null) setStatus(t("search.nothingToCall", { query: text }));
    else await callTarget(target);
  };

  const hits = results?.hits ?? [];
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" && hits.length > 0) {
      event.preventDefault();
      setSelected((index) => Math.min(hits.length - 1, index + 1));
    } else if (event.key === "ArrowUp" && hits.length > 0) {
      event.preventDefault();
      setSelected((index) => Math.max(0, index - 1));
    } else if (event.key === "Enter") {
      event.preventDefault();
      void enter();
    } else if (event.key === "Escape") {
      setQuery("");
      onDismiss();
    }
  };

  // The ACD view is for agents: their queues come first; elsewhere they sit below the search.
  const acd = settings.viewMode === "acd";
  const queues = session.switch_features && <QueuesPanel prominent={acd} />;

  return (
    <section class="start">
      {acd && queues}
      <div class="me">
        <div>
          <strong>{session.display_name ?? session.username}</strong>
          {/* The switch may store the name differently from how it was typed (Anna Öberg is
              anna.oberg): say which name is the account, for the next login and for phones. */}
          {session.display_name && session.display_name !== session.username && (
            <small class="hint" data-testid="me-username">
              {t("start.signedInAs", { user: session.username })}
            </small>
          )}
          {session.switch_features && <OwnActivity />}
        </div>
        {missed > 0 && (
          <button class="missed" data-testid="start-missed" onClick={onOpenHistory}>
            {t("nav.missed", { count: String(missed) })}
          </button>
        )}
      </div>

      {session.password_not_saved && <PasswordNote username={session.username} reason={session.password_not_saved} />}
      {session.echo_number && !request && <EchoHint number={session.echo_number} />}

      {request && (
        <div class="dial-request" role="dialog" data-testid="dial-request">
          <small>{t(request.origin === "hotkey" ? "dial.fromHotkey" : "dial.fromLink")}</small>
          {request.outcome.kind === "dialable" ? (
            <>
              <strong data-testid="dial-request-number">
                {t("dial.confirm", { number: request.outcome.candidate.display })}
              </strong>
              {request.outcome.candidate.outsideHost && (
                <small class="outside" role="note" data-testid="dial-request-outside">
                  {t("dial.outside", { host: request.outcome.candidate.outsideHost })}
                </small>
              )}
              <div class="actions">
                <button
                  class="primary"
                  data-testid="dial-request-call"
                  onClick={() =>
                    request.outcome.kind === "dialable" && void callTarget({ requestId: request.id })
                  }
                >
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
        role="combobox"
        aria-expanded={hits.length > 0}
        aria-controls="search-results"
        aria-activedescendant={hits.length > 0 ? `hit-${selected}` : undefined}
        placeholder={t("search.placeholder")}
        aria-describedby="search-hint"
        onInput={(event) => setQuery(event.currentTarget.value)}
        onKeyDown={onKeyDown}
      />
      <small id="search-hint" class="hint">
        {t("search.hint")}
        {results && results.total > hits.length && ` · ${t("search.total", { count: String(results.total) })}`}
      </small>
      <Dialpad number={query} onChange={setQuery} onDial={() => void enter()} />
      {status && (
        <p class="status" role="status" data-testid="status">
          {status}
        </p>
      )}
      {results && showTypedNumber(settled, hits.map((h) => h.number)) ? (
        <TypedNumber number={settled.trim()} onCall={() => void dialText(settled.trim())} />
      ) : (
        results && hits.length === 0 && <p class="empty small">{t("search.none")}</p>
      )}
      {!query.trim() && <ContactField />}
      {hits.length > 0 && (
        <ul class="hits" role="listbox" id="search-results" data-testid="hits">
          {hits.map((hit, index) => (
            <SearchHit
              key={hit.entryId}
              id={`hit-${index}`}
              hit={hit}
              selected={index === selected}
              onHover={() => setSelected(index)}
              onCall={() => hit.number && void callTarget(hit.number)}
              canCampOn={session.switch_features}
            />
          ))}
        </ul>
      )}
      {!acd && queues}
    </section>
  );
}

import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { historyList, historyMarkSeen, type HistoryFilter, type HistoryRow } from "../ipc";
import { endReasonKey } from "../lib/calls";
import { formatDuration } from "../lib/format";

const FILTERS: { id: HistoryFilter; label: TextKey }[] = [
  { id: "all", label: "history.all" },
  { id: "missed", label: "history.missed" },
  { id: "recordings", label: "history.inbox" },
];
const PAGE = 50;

interface Props {
  onSeen: () => void;
}

/** Call history: all / missed / inbox (recordings), newest first, with call back (checklist 19). */
export function HistoryView({ onSeen }: Props) {
  const { t, lang, historyVersion, run, place } = useShell();
  const [filter, setFilter] = useState<HistoryFilter>("all");
  const [rows, setRows] = useState<HistoryRow[] | null>(null);
  const [more, setMore] = useState(false);

  useEffect(() => {
    let current = true;
    void run(() => historyList(filter, 0, PAGE)).then((list) => {
      if (!current || !list) return;
      setRows(list);
      setMore(list.length === PAGE);
    });
    return () => {
      current = false;
    };
  }, [filter, historyVersion]);

  useEffect(() => {
    // Opening the history is what "seeing" missed calls means; the badge clears.
    void run(() => historyMarkSeen().then(() => true)).then((done) => done && onSeen());
  }, [historyVersion]);

  const loadMore = async () => {
    const next = await run(() => historyList(filter, rows?.length ?? 0, PAGE));
    if (!next) return;
    setRows((list) => [...(list ?? []), ...next]);
    setMore(next.length === PAGE);
  };

  const when = new Intl.DateTimeFormat(lang === "sv" ? "sv-SE" : "en-GB", { dateStyle: "short", timeStyle: "short" });

  return (
    <section class="history">
      <div class="segmented" role="tablist">
        {FILTERS.map(({ id, label }) => (
          <button
            key={id}
            role="tab"
            aria-selected={filter === id}
            class={filter === id ? "active" : ""}
            data-testid={`history-${id}`}
            onClick={() => setFilter(id)}
          >
            {t(label)}
          </button>
        ))}
      </div>
      {rows && rows.length === 0 && <p class="empty">{t("history.empty")}</p>}
      <ul class="rows" data-testid="history-rows">
        {rows?.map((row) => (
          <li key={row.id} class={row.missed ? "row-item missed" : "row-item"} data-testid="history-row">
            <span class="dir" title={t(row.direction === "incoming" ? "history.in" : "history.out")} aria-hidden="true">
              {row.missed ? "✕" : row.direction === "incoming" ? "↙" : "↗"}
            </span>
            <span class="main">
              <strong>{row.displayName ?? row.remote}</strong>
              <small class="sub">
                {row.displayName && `${row.remote} · `}
                {when.format(new Date(row.startedAt))}
                {row.missed
                  ? ` · ${t("history.missedLabel")}`
                  : row.answeredAt !== null && row.endedAt !== null
                    ? // A talk that ended because its path died says so beside its length.
                      ` · ${formatDuration(row.endedAt - row.answeredAt)}${
                        row.endReason === "interrupted" ? ` · ${t("call.ended.interrupted")}` : ""
                      }`
                    : endReasonKey(row.endReason)
                      ? ` · ${t(`call.ended.${endReasonKey(row.endReason)}` as TextKey)}`
                      : ""}
              </small>
              {row.recordingPath && (
                <small class="sub recording">{t("history.recording", { path: row.recordingPath })}</small>
              )}
            </span>
            <button data-testid="history-call" onClick={() => void place(row.remote)}>
              {t("history.callBack")}
            </button>
          </li>
        ))}
      </ul>
      {more && <button onClick={() => void loadMore()}>{t("history.more")}</button>}
    </section>
  );
}

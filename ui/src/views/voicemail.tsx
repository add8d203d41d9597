import { useEffect, useRef, useState } from "preact/hooks";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import {
  onPlayback,
  voicemailDelete,
  voicemailMarkHeard,
  voicemailPause,
  voicemailPlay,
  voicemailSave,
  voicemailSeek,
  voicemailStop,
  type MailboxView,
  type PlaybackView,
  type VoicemailView,
} from "../ipc";
import { formatDuration } from "../lib/format";
import { VoicemailSettings } from "../components/voicemail-settings";

/** How long a deleted message can be brought back before the switch deletes it. */
export const UNDO_MS = 5000;

interface Props {
  mailbox: MailboxView | null;
}

/** My voicemail (checklist 20, 46): messages newest first with the caller's known name, played
 * on the chosen output device with pause and seek, marked heard, saved, deleted with undo; with a
 * plain SIP server only the count and "Call voicemail". */
export function VoicemailView({ mailbox }: Props) {
  const { t, lang, run, place } = useShell();
  const [playback, setPlayback] = useState<PlaybackView | null>(null);
  const [deleting, setDeleting] = useState<VoicemailView | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const pendingDelete = useRef<{ id: number; timer: number } | null>(null);
  // Deletions sent to the switch: hidden until its list no longer has them (so a message does
  // not flash back between the undo bar going and the new list arriving), shown again on failure.
  const [removing, setRemoving] = useState<ReadonlySet<number>>(new Set());

  useEffect(() => {
    const stop = onPlayback(setPlayback);
    return () => {
      void stop.then((unlisten) => unlisten());
      // Leaving the tab ends playback and carries out a deletion still waiting for undo.
      void voicemailStop().catch(() => undefined);
      const pending = pendingDelete.current;
      if (pending) {
        window.clearTimeout(pending.timer);
        void voicemailDelete(pending.id).catch(() => undefined);
      }
    };
  }, []);

  const commitDelete = (id: number) => {
    pendingDelete.current = null;
    setRemoving((ids) => new Set(ids).add(id));
    setDeleting(null);
    void run(async () => {
      try {
        await voicemailDelete(id);
      } catch (error) {
        setRemoving((ids) => {
          const left = new Set(ids);
          left.delete(id);
          return left;
        });
        throw error;
      }
    });
  };

  useEffect(() => {
    // Forget deletions the switch has carried out, so the set never grows.
    const listed = new Set(mailbox?.messages.map((m) => m.id) ?? []);
    setRemoving((ids) => ([...ids].every((id) => listed.has(id)) ? ids : new Set([...ids].filter((id) => listed.has(id)))));
  }, [mailbox]);

  const remove = (message: VoicemailView) => {
    // A second delete while one waits for undo carries out the first at once.
    const earlier = pendingDelete.current;
    if (earlier) {
      window.clearTimeout(earlier.timer);
      commitDelete(earlier.id);
    }
    if (playback?.id === message.id) {
      setPlayback(null);
      void voicemailStop().catch(() => undefined);
    }
    const timer = window.setTimeout(() => commitDelete(message.id), UNDO_MS);
    pendingDelete.current = { id: message.id, timer };
    setDeleting(message);
  };

  const undo = () => {
    const pending = pendingDelete.current;
    if (pending) window.clearTimeout(pending.timer);
    pendingDelete.current = null;
    setDeleting(null);
  };

  const toggle = (message: VoicemailView) => {
    if (playback?.id === message.id && playback.playing) void run(voicemailPause);
    else void run(() => voicemailPlay(message.id));
  };

  const save = async (message: VoicemailView) => {
    const path = await run(() => voicemailSave(message.id));
    if (path) setSaved(path);
  };

  const counted = (count: number, one: TextKey, many: TextKey) =>
    count === 1 ? t(one) : t(many, { count: String(count) });
  const when = new Intl.DateTimeFormat(lang === "sv" ? "sv-SE" : "en-GB", { dateStyle: "short", timeStyle: "short" });
  const shown = mailbox?.messages.filter((m) => m.id !== deleting?.id && !removing.has(m.id)) ?? [];

  return (
    <section class="voicemail" data-testid="voicemail">
      <div class="voicemail-head">
        <strong data-testid="voicemail-counts">
          {counted(mailbox?.new ?? 0, "voicemail.newOne", "voicemail.newMany")} ·{" "}
          {counted(mailbox?.old ?? 0, "voicemail.savedOne", "voicemail.savedMany")}
        </strong>
        {mailbox?.callTarget && (
          <button data-testid="voicemail-call" onClick={() => void place(mailbox.callTarget ?? "")}>
            {t("voicemail.call")}
          </button>
        )}
      </div>
      {mailbox && !mailbox.listed && <p class="empty">{t("voicemail.countOnly")}</p>}
      {mailbox?.listed && shown.length === 0 && <p class="empty">{t("voicemail.empty")}</p>}
      {deleting && (
        <p class="undo" role="status" data-testid="voicemail-undo-bar">
          {t("voicemail.deleted")}
          <button data-testid="voicemail-undo" onClick={undo}>
            {t("voicemail.undo")}
          </button>
        </p>
      )}
      {saved && (
        <p class="saved" role="status" data-testid="voicemail-saved">
          {t("voicemail.saved", { path: saved })}
        </p>
      )}
      {mailbox?.listed && <VoicemailSettings />}
      <ul class="rows" data-testid="voicemail-rows">
        {shown.map((message) => {
          const current = playback?.id === message.id ? playback : null;
          const name = message.callerName ?? message.caller;
          return (
            <li
              key={message.id}
              class={message.heard ? "row-item voicemail-row" : "row-item voicemail-row unheard"}
              data-testid="voicemail-row"
              data-heard={String(message.heard)}
            >
              <span class="dir" aria-hidden="true">
                {message.heard ? "" : "●"}
              </span>
              <span class="main">
                <strong>{name}</strong>
                <small class="sub">
                  {message.callerName && `${message.caller} · `}
                  {when.format(new Date(message.at))} · {formatDuration(message.durationMs)}
                  {!message.heard && ` · ${t("voicemail.new")}`}
                </small>
                {current && (
                  <span class="progress">
                    <input
                      type="range"
                      min={0}
                      max={current.durationMs}
                      step={100}
                      value={current.positionMs}
                      aria-label={t("voicemail.position")}
                      data-testid="voicemail-seek"
                      onInput={(event) => void run(() => voicemailSeek(Number((event.target as HTMLInputElement).value)))}
                    />
                    <small data-testid="voicemail-position">
                      {formatDuration(current.positionMs)} / {formatDuration(current.durationMs)}
                    </small>
                  </span>
                )}
              </span>
              <span class="actions">
                <button
                  data-testid="voicemail-play"
                  aria-pressed={current?.playing ?? false}
                  onClick={() => toggle(message)}
                >
                  {current?.playing ? t("voicemail.pause") : t("voicemail.play")}
                </button>
                <button data-testid="voicemail-call-back" onClick={() => void place(message.caller)}>
                  {t("history.callBack")}
                </button>
                {!message.heard && (
                  <button data-testid="voicemail-heard" onClick={() => void run(() => voicemailMarkHeard(message.id))}>
                    {t("voicemail.markHeard")}
                  </button>
                )}
                <button data-testid="voicemail-save" onClick={() => void save(message)}>
                  {t("voicemail.save")}
                </button>
                <button class="danger" data-testid="voicemail-delete" onClick={() => remove(message)}>
                  {t("voicemail.delete")}
                </button>
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

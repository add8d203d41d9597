import { useEffect, useRef, useState } from "preact/hooks";
import { useShell } from "../context";
import { openExternal } from "../ipc";
import { mailtoLink } from "../lib/mail";
import { MailIcon } from "./icons";

interface Props {
  name: string;
  emails: readonly string[];
  /** An envelope icon instead of the text, where room is short (a search hit). */
  compact?: boolean;
}

/** "Send message": pick one of the message templates and the mail client opens, addressed. */
export function MessageMenu({ name, emails, compact = false }: Props) {
  const { t, settings, run } = useShell();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLSpanElement>(null);

  // A click elsewhere closes the menu, as menus do.
  useEffect(() => {
    if (!open) return;
    const away = (event: MouseEvent) => {
      if (!box.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [open]);
  const address = emails.find((email) => mailtoLink([email], settings.emailSeparator) !== null);

  const send = (template?: string) => {
    setOpen(false);
    const link = address ? mailtoLink([address], settings.emailSeparator, template) : null;
    if (link) void run(() => openExternal(link));
  };

  return (
    <span
      class="message-menu"
      ref={box}
      onKeyDown={(event) => {
        if (event.key !== "Escape" || !open) return;
        event.stopPropagation();
        setOpen(false);
      }}
    >
      <button
        type="button"
        data-testid="send-message"
        aria-expanded={open}
        aria-haspopup="menu"
        disabled={!address}
        class={compact ? "icon" : undefined}
        title={address ? `${t("contacts.sendMessage")}: ${address}` : t("contacts.noEmail", { name })}
        aria-label={compact ? t("contacts.sendMessage") : undefined}
        onClick={() => setOpen(!open)}
      >
        {compact ? <MailIcon /> : t("contacts.sendMessage")}
      </button>
      {open && (
        <ul class="menu" role="menu" data-testid="message-templates">
          {settings.messageTemplates.map((template) => (
            <li key={template} role="none">
              <button type="button" role="menuitem" class="link" onClick={() => send(template)}>
                {template}
              </button>
            </li>
          ))}
          <li role="none">
            <button type="button" role="menuitem" class="link" onClick={() => send()}>
              {t("contacts.messageBlank")}
            </button>
          </li>
        </ul>
      )}
    </span>
  );
}

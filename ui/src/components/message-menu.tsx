import { useState } from "preact/hooks";
import { useShell } from "../context";
import { openExternal } from "../ipc";
import { mailtoLink } from "../lib/mail";

interface Props {
  name: string;
  emails: readonly string[];
}

/** "Send message": pick one of the message templates and the mail client opens, addressed. */
export function MessageMenu({ name, emails }: Props) {
  const { t, settings, run } = useShell();
  const [open, setOpen] = useState(false);
  const address = emails.find((email) => mailtoLink([email], settings.emailSeparator) !== null);

  const send = (template?: string) => {
    setOpen(false);
    const link = address ? mailtoLink([address], settings.emailSeparator, template) : null;
    if (link) void run(() => openExternal(link));
  };

  return (
    <span class="message-menu">
      <button
        type="button"
        data-testid="send-message"
        aria-expanded={open}
        aria-haspopup="menu"
        disabled={!address}
        title={address ? address : t("contacts.noEmail", { name })}
        onClick={() => setOpen(!open)}
      >
        {t("contacts.sendMessage")}
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

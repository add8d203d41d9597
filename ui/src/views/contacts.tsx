import { useEffect, useState } from "preact/hooks";
import { ContactCard } from "../components/contact-card";
import { ContactForm, KINDS } from "../components/contact-form";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { contactsList, openExternal, type ContactView } from "../ipc";
import { mailtoLink } from "../lib/mail";

type Mode = { view: "list" } | { view: "card"; id: number } | { view: "edit"; id: number | null };

/** Saved contacts grouped favourites, VIP, contacts, blocked (checklist 14, 16); several can be
 * ticked and e-mailed at once. */
export function ContactsView() {
  const { t, settings, run, place } = useShell();
  const [contacts, setContacts] = useState<ContactView[] | null>(null);
  const [mode, setMode] = useState<Mode>({ view: "list" });
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [mailStatus, setMailStatus] = useState<string | null>(null);

  const reload = async () => {
    const list = await run(contactsList);
    if (list) setContacts(list);
  };
  useEffect(() => void reload(), []);

  const current = mode.view !== "list" && mode.id !== null ? contacts?.find((c) => c.id === mode.id) ?? null : null;

  if (mode.view === "edit") {
    return (
      <section class="contacts">
        <ContactForm
          contact={current}
          onCancel={() => setMode(current ? { view: "card", id: current.id } : { view: "list" })}
          onSaved={(saved) => {
            void reload();
            setMode({ view: "card", id: saved.id });
          }}
        />
      </section>
    );
  }
  if (mode.view === "card" && current) {
    return (
      <section class="contacts">
        <ContactCard
          contact={current}
          onBack={() => setMode({ view: "list" })}
          onEdit={() => setMode({ view: "edit", id: current.id })}
          onDeleted={() => {
            void reload();
            setMode({ view: "list" });
          }}
        />
      </section>
    );
  }

  const toggle = (id: number, on: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
    setMailStatus(null);
  };

  // One address per person (the first usable one), joined the way the user's mail client wants.
  const emailSelected = () => {
    const chosen = (contacts ?? []).filter((c) => selected.has(c.id));
    const addresses = chosen.flatMap((c) => c.emails.find((e) => mailtoLink([e], settings.emailSeparator)) ?? []);
    const link = mailtoLink(addresses, settings.emailSeparator);
    if (!link) {
      setMailStatus(t("contacts.noSelectedEmail"));
      return;
    }
    void run(() => openExternal(link));
  };

  const sorted = [...(contacts ?? [])].sort((a, b) => a.name.localeCompare(b.name, "sv"));
  return (
    <section class={settings.minimalContactList ? "contacts minimal" : "contacts"}>
      <div class="actions">
        <button class="primary" data-testid="contact-new" onClick={() => setMode({ view: "edit", id: null })}>
          {t("contacts.new")}
        </button>
        {selected.size > 0 && (
          <button data-testid="email-selected" onClick={emailSelected}>
            {t("contacts.emailSelected", { count: String(selected.size) })}
          </button>
        )}
      </div>
      {mailStatus && (
        <p class="hint" role="status" data-testid="email-status">
          {mailStatus}
        </p>
      )}
      {contacts && contacts.length === 0 && <p class="empty">{t("contacts.empty")}</p>}
      {KINDS.map((kind) => {
        const group = sorted.filter((c) => c.kind === kind);
        if (group.length === 0) return null;
        return (
          <div class="group" key={kind} data-testid={`group-${kind}`}>
            <h3>{t(`contacts.${kind}` as TextKey)}</h3>
            <ul class="rows">
              {group.map((contact) => (
                <li key={contact.id} class="row-item" data-testid="contact-row">
                  <input
                    type="checkbox"
                    data-testid="contact-select"
                    aria-label={t("contacts.select", { name: contact.name })}
                    checked={selected.has(contact.id)}
                    onChange={(e) => toggle(contact.id, e.currentTarget.checked)}
                  />
                  <button class="link main" onClick={() => setMode({ view: "card", id: contact.id })}>
                    <strong>{contact.name}</strong>
                    {!settings.minimalContactList && (
                      <small class="sub">{[contact.title, contact.company].filter(Boolean).join(", ")}</small>
                    )}
                  </button>
                  {contact.numbers[0] && (
                    <button
                      title={contact.numbers[0].number}
                      onClick={() => contact.numbers[0] && void place(contact.numbers[0].number)}
                    >
                      {t("contacts.call")}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </section>
  );
}

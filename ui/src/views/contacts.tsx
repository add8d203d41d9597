import { useEffect, useState } from "preact/hooks";
import { ContactCard } from "../components/contact-card";
import { ContactForm, KINDS } from "../components/contact-form";
import { useShell } from "../context";
import type { TextKey } from "../i18n";
import { contactsList, type ContactView } from "../ipc";

type Mode = { view: "list" } | { view: "card"; id: number } | { view: "edit"; id: number | null };

/** Saved contacts grouped favourites, VIP, contacts, blocked (checklist 14, 16). */
export function ContactsView() {
  const { t, settings, run, place } = useShell();
  const [contacts, setContacts] = useState<ContactView[] | null>(null);
  const [mode, setMode] = useState<Mode>({ view: "list" });

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

  const sorted = [...(contacts ?? [])].sort((a, b) => a.name.localeCompare(b.name, "sv"));
  return (
    <section class={settings.minimalContactList ? "contacts minimal" : "contacts"}>
      <button class="primary" data-testid="contact-new" onClick={() => setMode({ view: "edit", id: null })}>
        {t("contacts.new")}
      </button>
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

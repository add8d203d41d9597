import { render } from "preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MessageMenu } from "../components/message-menu";
import { SearchHit } from "../components/search-hit";
import { testShell, TEST_SETTINGS, WithShell } from "../components/test-shell";
import type { AppSettings, ContactView, SearchResultsView } from "../ipc";
import { ContactsView } from "./contacts";
import { CallKeysSettings } from "./settings-keys";
import { MessageSettings } from "./settings-messages";
import { SettingsView } from "./settings";

const ipc = vi.hoisted(() => ({ opened: [] as string[], contacts: [] as unknown[] }));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  openExternal: async (url: string) => {
    ipc.opened.push(url);
  },
  contactsList: async () => ipc.contacts,
  hotkeyGet: async () => "F8",
  audioDevices: async () => ({ inputs: [], outputs: [], defaultInput: null, defaultOutput: null, error: null }),
}));
// Address books talk to their servers through the backend; address-books.test.tsx renders them.
vi.mock("../components/address-books", () => ({ AddressBooks: () => null }));

const root = document.createElement("div");
document.body.appendChild(root);
beforeEach(() => {
  ipc.opened.length = 0;
});
afterEach(() => render(null, root));

const last = <T,>(list: readonly T[]): T | undefined => list[list.length - 1];
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const q = <T extends Element = HTMLElement>(testId: string) => root.querySelector(`[data-testid="${testId}"]`) as T | null;

function press(target: Element, key: string, code: string, mods: Partial<KeyboardEventInit> = {}) {
  target.dispatchEvent(new KeyboardEvent("keydown", { key, code, bubbles: true, cancelable: true, ...mods }));
}

/** A shell whose saved settings are applied and remembered, like the app's. */
function savingShell(settings: AppSettings = TEST_SETTINGS) {
  const saved: AppSettings[] = [];
  const shell = testShell({ settings });
  const rerender = (ui: () => preact.JSX.Element) => {
    shell.saveSettings = async (next) => {
      saved.push(next);
      shell.settings = next;
      render(<WithShell shell={{ ...shell }}>{ui()}</WithShell>, root);
    };
    render(<WithShell shell={{ ...shell }}>{ui()}</WithShell>, root);
  };
  return { shell, saved, rerender };
}

describe("call shortcuts in Settings", () => {
  it("records a pressed combination and saves it", async () => {
    const { saved, rerender } = savingShell();
    rerender(() => <CallKeysSettings />);
    const hold = q<HTMLInputElement>("key-hold");
    expect(hold?.value).toBe("Ctrl+Shift+H");
    hold?.focus();
    await settle();
    expect(q<HTMLInputElement>("key-hold")?.value).toBe("Tryck tangenter…");
    // A lone modifier waits for the key.
    press(hold!, "Control", "ControlLeft", { ctrlKey: true });
    expect(saved).toHaveLength(0);
    press(hold!, "p", "KeyP", { ctrlKey: true, altKey: true });
    await settle();
    expect(last(saved)?.callKeys.hold).toBe("Ctrl+Alt+P");
    expect(q<HTMLInputElement>("key-hold")?.value).toBe("Ctrl+Alt+P");
  });

  it("refuses plain letters, duplicates and the dial hotkey with the reason, keeping the old key", async () => {
    const { saved, rerender } = savingShell();
    rerender(() => <CallKeysSettings />);
    const mute = q<HTMLInputElement>("key-mute")!;
    mute.focus();
    press(mute, "m", "KeyM");
    await settle();
    expect(q("keys-error")?.textContent).toContain("M skulle skrivas i textrutor");
    press(mute, "A", "KeyA", { ctrlKey: true, shiftKey: true });
    await settle();
    expect(q("keys-error")?.textContent).toBe("Ctrl+Shift+A används redan för Svara.");
    press(mute, "F8", "F8");
    await settle();
    expect(q("keys-error")?.textContent).toContain("F8 är kortkommandot för att ringa markerat nummer");
    press(mute, "c", "KeyC", { ctrlKey: true });
    await settle();
    expect(q("keys-error")?.textContent).toContain("textredigering");
    expect(saved).toHaveLength(0);
    press(mute, "F10", "F10");
    await settle();
    expect(last(saved)?.callKeys.mute).toBe("F10");
    expect(q("keys-error")).toBeNull();
  });

  it("lets Tab move on and Esc cancel without saving", async () => {
    const { saved, rerender } = savingShell();
    rerender(() => <CallKeysSettings />);
    const hangup = q<HTMLInputElement>("key-hangup")!;
    hangup.focus();
    const tab = new KeyboardEvent("keydown", { key: "Tab", code: "Tab", bubbles: true, cancelable: true });
    hangup.dispatchEvent(tab);
    expect(tab.defaultPrevented).toBe(false);
    press(hangup, "Escape", "Escape");
    await settle();
    expect(document.activeElement).not.toBe(hangup);
    expect(q<HTMLInputElement>("key-hangup")?.value).toBe("Ctrl+Shift+E");
    expect(saved).toHaveLength(0);
  });

  it("keeps the recorder's keys from the rest of the window, and can switch a shortcut off", async () => {
    const { saved, rerender } = savingShell();
    let reachedWindow = 0;
    const listener = () => (reachedWindow += 1);
    window.addEventListener("keydown", listener);
    rerender(() => <CallKeysSettings />);
    const answer = q<HTMLInputElement>("key-answer")!;
    answer.focus();
    press(answer, "F9", "F9");
    window.removeEventListener("keydown", listener);
    expect(reachedWindow).toBe(0);
    q<HTMLButtonElement>("key-clear-focusSearch")?.click();
    await settle();
    expect(last(saved)?.callKeys.focusSearch).toBe("");
    expect(q<HTMLInputElement>("key-focusSearch")?.value).toBe("Inget");
    expect(q<HTMLButtonElement>("key-clear-focusSearch")?.disabled).toBe(true);
  });
});

describe("external application in Settings", () => {
  it("chooses when it opens on incoming calls, next to the address template", async () => {
    const { saved, rerender } = savingShell({ ...TEST_SETTINGS, externalAppUrl: "https://crm.example.se/?tel={number}" });
    const session = { state: "online", kind: "builtin", username: "anna", display_name: null, registered: true,
      registration_error: null, switch_features: true } as const;
    rerender(() => <SettingsView session={session} />);
    const select = q<HTMLSelectElement>("setting-externalAppOpen")!;
    expect(select.value).toBe("off");
    expect([...select.options].map((o) => o.textContent)).toEqual(["Nej, bara med knappen", "När det ringer", "När jag svarar"]);
    select.value = "whenRinging";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    await settle();
    expect(last(saved)?.externalAppOpen).toBe("whenRinging");
    expect(last(saved)?.externalAppUrl).toBe("https://crm.example.se/?tel={number}");
    // Every group of the new settings is on the page.
    expect(q("settings-keys")).not.toBeNull();
    expect(q("settings-messages")).not.toBeNull();
  });
});

describe("direct calls in Settings", () => {
  it("is off by default under Advanced and turns on with the box", async () => {
    const { saved, rerender } = savingShell();
    const session = { state: "online", kind: "sip", username: "anna", display_name: null, registered: true,
      registration_error: null, switch_features: false } as const;
    rerender(() => <SettingsView session={session} />);
    const box = q<HTMLInputElement>("setting-acceptDirectCalls")!;
    expect(box.checked).toBe(false);
    const group = box.closest("fieldset");
    expect(group?.querySelector("legend")?.textContent).toBe("Avancerat");
    expect(group?.textContent).toContain("Ta emot samtal som skickas direkt till den här datorn");
    expect(group?.textContent).toContain("bara samtal via din server ringer");
    box.click();
    await settle();
    expect(last(saved)?.acceptDirectCalls).toBe(true);
    expect(q<HTMLInputElement>("setting-acceptDirectCalls")?.checked).toBe(true);
  });
});

describe("message templates and the e-mail separator in Settings", () => {
  it("edits, adds and removes templates, dropping blanks", async () => {
    const { saved, rerender } = savingShell();
    rerender(() => <MessageSettings />);
    const first = q<HTMLInputElement>("template-0")!;
    expect(first.value).toBe("Ring mig när du kan");
    first.value = "Ring mig efter lunch";
    first.dispatchEvent(new Event("input", { bubbles: true }));
    first.dispatchEvent(new FocusEvent("blur"));
    await settle();
    expect(last(saved)?.messageTemplates).toEqual(["Ring mig efter lunch", "Jag sitter i möte, återkommer"]);
    q<HTMLButtonElement>("template-add")?.click();
    await settle();
    const added = q<HTMLInputElement>("template-2")!;
    expect(added.value).toBe("");
    q<HTMLButtonElement>("template-remove-0")?.click();
    await settle();
    expect(last(saved)?.messageTemplates).toEqual(["Jag sitter i möte, återkommer"]);
    const separator = q<HTMLSelectElement>("setting-emailSeparator")!;
    separator.value = "comma";
    separator.dispatchEvent(new Event("change", { bubbles: true }));
    await settle();
    expect(last(saved)?.emailSeparator).toBe("comma");
  });
});

describe("Send message", () => {
  it("opens the mail client with the chosen template", async () => {
    render(
      <WithShell shell={testShell()}>
        <MessageMenu name="Britt Ek" emails={["britt@ek.se"]} />
      </WithShell>,
      root,
    );
    q<HTMLButtonElement>("send-message")?.click();
    await settle();
    const items = [...root.querySelectorAll("[role=menuitem]")].map((item) => item.textContent);
    expect(items).toEqual(["Ring mig när du kan", "Jag sitter i möte, återkommer", "Tomt meddelande"]);
    (root.querySelectorAll("[role=menuitem]")[1] as HTMLButtonElement).click();
    await settle();
    expect(ipc.opened).toEqual([
      "mailto:britt@ek.se?subject=Jag%20sitter%20i%20m%C3%B6te%2C%20%C3%A5terkommer&body=Jag%20sitter%20i%20m%C3%B6te%2C%20%C3%A5terkommer",
    ]);
    expect(q("message-templates")).toBeNull();
  });

  it("closes on Escape and on a click elsewhere", async () => {
    render(
      <WithShell shell={testShell()}>
        <MessageMenu name="Britt Ek" emails={["britt@ek.se"]} />
      </WithShell>,
      root,
    );
    q<HTMLButtonElement>("send-message")?.click();
    await settle();
    press(q("message-templates")!, "Escape", "Escape");
    await settle();
    expect(q("message-templates")).toBeNull();
    q<HTMLButtonElement>("send-message")?.click();
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 150)); // effects run after paint
    document.body.dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
    await settle();
    expect(q("message-templates")).toBeNull();
    expect(ipc.opened).toEqual([]);
  });

  it("is unavailable without an e-mail address and says why", () => {
    render(
      <WithShell shell={testShell()}>
        <MessageMenu name="Pelle Holm" emails={[]} />
      </WithShell>,
      root,
    );
    const button = q<HTMLButtonElement>("send-message")!;
    expect(button.disabled).toBe(true);
    expect(button.title).toBe("Pelle Holm har ingen e-postadress.");
  });
});

describe("Send message on a search hit", () => {
  const hit: SearchResultsView["hits"][number] = {
    entryId: "u2", name: "Johanna Berg", subtitle: "", source: "colleague", kind: "normal", field: "name",
    fieldText: "Johanna Berg", spans: [], number: "1002", presence: null, emails: ["johanna.berg@exempel.se"],
  };

  it("is offered on the selected hit only and mails without calling", async () => {
    const calls: string[] = [];
    const ui = (selected: boolean) => (
      <WithShell shell={testShell()}>
        <ul>
          <SearchHit id="h" hit={hit} selected={selected} onCall={() => calls.push("1002")} onHover={() => {}} />
        </ul>
      </WithShell>
    );
    render(ui(false), root);
    expect(q("send-message")).toBeNull();
    render(ui(true), root);
    q<HTMLButtonElement>("send-message")?.click();
    await settle();
    (root.querySelector("[role=menuitem]") as HTMLButtonElement).click();
    await settle();
    expect(ipc.opened).toEqual([
      "mailto:johanna.berg@exempel.se?subject=Ring%20mig%20n%C3%A4r%20du%20kan&body=Ring%20mig%20n%C3%A4r%20du%20kan",
    ]);
    expect(calls).toEqual([]);
  });
});

describe("e-mailing selected contacts", () => {
  const contact = (id: number, name: string, emails: string[]): ContactView => ({
    id, name, company: "", title: "", emails, numbers: [], keywords: [], kind: "contact", notes: "",
  });

  it("joins the selected contacts' addresses with the separator from the settings", async () => {
    ipc.contacts = [contact(1, "Britt Ek", ["britt@ek.se", "vd@ek.se"]), contact(2, "Pelle Holm", ["pelle@holm.se"]), contact(3, "Utan Post", [])];
    const shell = testShell({ settings: { ...TEST_SETTINGS, emailSeparator: "comma" } });
    render(<WithShell shell={shell}><ContactsView /></WithShell>, root);
    const boxes = () => [...root.querySelectorAll<HTMLInputElement>("[data-testid=contact-select]")];
    await vi.waitFor(() => expect(boxes()).toHaveLength(3));
    expect(q("email-selected")).toBeNull();
    for (const box of boxes()) box.click();
    await settle();
    expect(q("email-selected")?.textContent).toBe("E-posta valda (3)");
    q<HTMLButtonElement>("email-selected")?.click();
    await settle();
    expect(ipc.opened).toEqual(["mailto:britt@ek.se,pelle@holm.se"]);
  });

  it("says so when none of the selected has an address", async () => {
    ipc.contacts = [contact(3, "Utan Post", [])];
    render(<WithShell shell={testShell()}><ContactsView /></WithShell>, root);
    await vi.waitFor(() => expect(q("contact-select")).not.toBeNull());
    q<HTMLInputElement>("contact-select")?.click();
    await settle();
    q<HTMLButtonElement>("email-selected")?.click();
    await settle();
    expect(q("email-status")?.textContent).toBe("Ingen av de valda har en e-postadress.");
    expect(ipc.opened).toEqual([]);
  });
});

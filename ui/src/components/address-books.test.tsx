import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AddressBookInput, AddressBookView, UiError } from "../ipc";
import { AddressBooks } from "./address-books";
import { testShell, WithShell } from "./test-shell";

// The address-book commands, recorded; save and test answer like the Rust side would.
const ipc = vi.hoisted(() => ({
  books: [] as AddressBookView[],
  saved: [] as AddressBookInput[],
  tested: [] as AddressBookInput[],
  removed: [] as string[],
  testAnswer: null as number | UiError | null,
}));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  addressBooksList: async () => ipc.books,
  addressBookSave: async (input: AddressBookInput) => {
    ipc.saved.push(input);
    if (!input.config.name.trim()) throw { code: "address_book_name", message: "a name is needed" } satisfies UiError;
    const view: AddressBookView = {
      config: { ...input.config, id: input.config.id || "book-1" },
      passwordSaved: true,
      entries: null,
      loading: true,
      error: null,
    };
    ipc.books = [...ipc.books.filter((b) => b.config.id !== view.config.id), view];
    return view;
  },
  addressBookTest: async (input: AddressBookInput) => {
    ipc.tested.push(input);
    if (typeof ipc.testAnswer === "number") return ipc.testAnswer;
    throw ipc.testAnswer;
  },
  addressBookRemove: async (id: string) => {
    ipc.removed.push(id);
    ipc.books = ipc.books.filter((b) => b.config.id !== id);
    return null;
  },
  onAddressBooks: async () => () => undefined,
}));

const root = document.createElement("div");
document.body.appendChild(root);
const flush = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
const one = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const all = (id: string) => Array.from(root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));
const click = async (id: string) => {
  await act(() => one(id)?.click());
  await flush();
};
const type = async (id: string, text: string) => {
  const input = one(id) as HTMLInputElement;
  input.value = text;
  await act(() => {
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
};

const LDAP_BOOK: AddressBookView = {
  config: {
    id: "book-7",
    kind: "ldap",
    name: "Företagskatalogen",
    url: "ldaps://katalog.example.se",
    username: "cn=koppla,dc=example,dc=se",
    baseDn: "dc=example,dc=se",
    filter: "",
  },
  passwordSaved: false,
  entries: 1,
  loading: false,
  error: null,
};

async function mount(lang: "sv" | "en" = "sv") {
  const shell = testShell({ lang, t: (await import("../i18n")).translator(lang) });
  await act(() =>
    render(
      <WithShell shell={shell}>
        <AddressBooks />
      </WithShell>,
      root,
    ),
  );
  await flush();
}

beforeEach(() => {
  ipc.books = [];
  ipc.saved = [];
  ipc.tested = [];
  ipc.removed = [];
  ipc.testAnswer = null;
});
afterEach(async () => {
  await act(() => render(null, root));
});

describe("address books", () => {
  it("adds a CardDAV account with its password, and shows only the fields CardDAV has", async () => {
    await mount();
    expect(one("address-books")?.textContent).toContain("Inga adressböcker tillagda.");
    await click("books-add-carddav");
    expect(one("book-base-dn")).toBeNull();
    expect(one("book-filter")).toBeNull();
    await type("book-name", "Mina kontakter");
    await type("book-url", "https://dav.example.se/anna/kontakter/");
    await type("book-username", "anna");
    await type("book-password", "hemligt");
    await click("book-save");
    expect(ipc.saved).toEqual([
      {
        config: {
          id: "",
          kind: "cardDav",
          name: "Mina kontakter",
          url: "https://dav.example.se/anna/kontakter/",
          username: "anna",
          baseDn: "",
          filter: "",
        },
        password: "hemligt",
      },
    ]);
    expect(one("book-form")).toBeNull();
    expect(all("book-status").map((s) => s.textContent)).toEqual(["Läser in…"]);
  });

  it("editing keeps the stored password unless a new one is typed", async () => {
    ipc.books = [LDAP_BOOK];
    await mount();
    expect(one("book-status")?.textContent).toBe("1 person");
    expect(one("book-password-not-saved")?.textContent).toContain("nyckelring");
    await click("book-edit");
    expect((one("book-password") as HTMLInputElement).placeholder).toContain("lämna tomt för att behålla");
    await type("book-filter", "(sn=Ek)");
    await click("book-save");
    expect(ipc.saved[0].password).toBeNull();
    expect(ipc.saved[0].config.filter).toBe("(sn=Ek)");
    expect(ipc.saved[0].config.id).toBe("book-7");
  });

  it("Test connection shows the count or the typed reason, in the user's language", async () => {
    await mount("en");
    await click("books-add-ldap");
    await type("book-name", "Directory");
    await type("book-url", "ldap://127.0.0.1:3890/");
    await type("book-base-dn", "dc=koppla,dc=test");
    ipc.testAnswer = { code: "address_book_unauthorized", message: "not authorised" };
    await click("book-test");
    expect(one("book-test-result")?.textContent).toBe(
      "The address book refused the login: check the user name and password",
    );
    ipc.testAnswer = 1234;
    await click("book-test");
    expect(one("book-test-result")?.textContent).toBe("The connection works: 1234 people.");
    expect(ipc.tested.map((t) => t.password)).toEqual(["", ""]);
    expect(ipc.saved).toEqual([]);
  });

  it("a refused save keeps the form with the reason; remove drops the book", async () => {
    ipc.books = [LDAP_BOOK];
    await mount();
    await click("books-add-ldap");
    await click("book-save");
    expect(one("book-save-error")?.textContent).toBe("Ge adressboken ett namn (högst 80 tecken)");
    expect(one("book-form")).not.toBeNull();
    await click("book-cancel");
    await click("book-remove");
    expect(ipc.removed).toEqual(["book-7"]);
    expect(all("book-row")).toEqual([]);
  });
});

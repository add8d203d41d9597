import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { translateErrorCode, type TextKey } from "../i18n";
import {
  addressBookRemove,
  addressBookSave,
  addressBookTest,
  addressBooksList,
  asUiError,
  onAddressBooks,
  type AddressBookConfig,
  type AddressBookKind,
  type AddressBookView,
  type UiError,
} from "../ipc";

/** The form's state: the book being added or changed and what its password field holds. */
interface Draft {
  config: AddressBookConfig;
  password: string;
  /** Editing a saved book: an empty password field keeps the stored password. */
  existing: boolean;
}

type TestState = { state: "running" } | { state: "ok"; count: number } | { state: "failed"; error: UiError };

const blank = (kind: AddressBookKind): Draft => ({
  config: { id: "", kind, name: "", url: "", username: "", baseDn: "", filter: "" },
  password: "",
  existing: false,
});

/** Settings → Address books: CardDAV accounts and LDAP directories whose people the search box
 * finds. Passwords go to the OS keychain and never come back to the UI (issue 14 item 7). */
export function AddressBooks() {
  const { t, lang, run } = useShell();
  const [books, setBooks] = useState<AddressBookView[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [test, setTest] = useState<TestState | null>(null);
  const [saveError, setSaveError] = useState<UiError | null>(null);

  const load = async () => {
    const loaded = await run(addressBooksList);
    if (loaded) setBooks(loaded);
  };
  useEffect(() => {
    void load();
    const unlisten = onAddressBooks(() => void load());
    return () => void unlisten.then((stop) => stop());
  }, []);

  const count = (n: number, one: TextKey, many: TextKey) => (n === 1 ? t(one) : t(many, { count: String(n) }));
  const errorText = (error: UiError) => translateErrorCode(lang, error.code, error.message);
  const input = (d: Draft) => ({
    config: d.config,
    // null keeps the stored password; a new book with an empty field has none (anonymous).
    password: d.existing && d.password === "" ? null : d.password,
  });
  const edit = (next: Draft | null) => {
    setDraft(next);
    setTest(null);
    setSaveError(null);
  };
  const field = (key: keyof AddressBookConfig, value: string) =>
    draft && setDraft({ ...draft, config: { ...draft.config, [key]: value } });

  const save = async () => {
    if (!draft) return;
    try {
      await addressBookSave(input(draft));
      edit(null);
      await load();
    } catch (error) {
      setSaveError(asUiError(error));
    }
  };
  const runTest = async () => {
    if (!draft) return;
    setTest({ state: "running" });
    try {
      setTest({ state: "ok", count: await addressBookTest(input(draft)) });
    } catch (error) {
      setTest({ state: "failed", error: asUiError(error) });
    }
  };
  const remove = async (id: string) => {
    await run(() => addressBookRemove(id));
    await load();
  };

  const ldap = draft?.config.kind === "ldap";
  return (
    <fieldset data-testid="address-books">
      <legend>{t("books.title")}</legend>
      <small class="hint">{t("books.intro")}</small>
      {books.length === 0 && <p>{t("books.none")}</p>}
      <ul class="address-books">
        {books.map((book) => (
          <li key={book.config.id} data-testid="book-row">
            <strong>{book.config.name}</strong> ({t(`books.kind.${book.config.kind}`)}){" "}
            <span data-testid="book-status" role="status">
              {book.loading
                ? t("books.loading")
                : book.error
                  ? errorText(book.error)
                  : book.entries !== null && count(book.entries, "books.entriesOne", "books.entries")}
            </span>
            {!book.passwordSaved && (
              <small class="hint" data-testid="book-password-not-saved">
                {t("books.passwordNotSaved")}
              </small>
            )}
            <span class="row">
              <button
                data-testid="book-edit"
                onClick={() => edit({ config: { ...book.config }, password: "", existing: true })}
              >
                {t("books.edit")}
              </button>
              <button class="danger" data-testid="book-remove" onClick={() => void remove(book.config.id)}>
                {t("books.remove")}
              </button>
            </span>
          </li>
        ))}
      </ul>
      {!draft && (
        <span class="row">
          <button data-testid="books-add-carddav" onClick={() => edit(blank("cardDav"))}>
            {t("books.addCardDav")}
          </button>
          <button data-testid="books-add-ldap" onClick={() => edit(blank("ldap"))}>
            {t("books.addLdap")}
          </button>
        </span>
      )}
      {draft && (
        <form
          data-testid="book-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label>
            {t("books.name")}
            <input data-testid="book-name" value={draft.config.name} onInput={(e) => field("name", e.currentTarget.value)} />
          </label>
          <label>
            {t("books.url")}
            <input
              data-testid="book-url"
              value={draft.config.url}
              spellcheck={false}
              onInput={(e) => field("url", e.currentTarget.value)}
            />
            <small class="hint">{t(ldap ? "books.urlHintLdap" : "books.urlHintCardDav")}</small>
          </label>
          {ldap && (
            <label>
              {t("books.baseDn")}
              <input
                data-testid="book-base-dn"
                value={draft.config.baseDn}
                spellcheck={false}
                onInput={(e) => field("baseDn", e.currentTarget.value)}
              />
            </label>
          )}
          <label>
            {t(ldap ? "books.bindDn" : "books.username")}
            <input
              data-testid="book-username"
              value={draft.config.username}
              spellcheck={false}
              autocomplete="off"
              onInput={(e) => field("username", e.currentTarget.value)}
            />
          </label>
          <label>
            {t("books.password")}
            <input
              type="password"
              data-testid="book-password"
              value={draft.password}
              autocomplete="new-password"
              placeholder={draft.existing ? t("books.passwordKept") : ""}
              onInput={(e) => setDraft({ ...draft, password: e.currentTarget.value })}
            />
          </label>
          {ldap && (
            <label>
              {t("books.filter")}
              <input
                data-testid="book-filter"
                value={draft.config.filter}
                spellcheck={false}
                placeholder="(objectClass=person)"
                onInput={(e) => field("filter", e.currentTarget.value)}
              />
            </label>
          )}
          {test && (
            <p data-testid="book-test-result" role="status" class={test.state === "failed" ? "error" : ""}>
              {test.state === "running"
                ? t("books.testing")
                : test.state === "ok"
                  ? count(test.count, "books.testOkOne", "books.testOk")
                  : errorText(test.error)}
            </p>
          )}
          {saveError && (
            <p data-testid="book-save-error" role="alert" class="error">
              {errorText(saveError)}
            </p>
          )}
          <span class="row">
            <button type="submit" data-testid="book-save">
              {t("books.save")}
            </button>
            <button type="button" data-testid="book-test" disabled={test?.state === "running"} onClick={() => void runTest()}>
              {t("books.test")}
            </button>
            <button type="button" data-testid="book-cancel" onClick={() => edit(null)}>
              {t("books.cancel")}
            </button>
          </span>
        </form>
      )}
    </fieldset>
  );
}

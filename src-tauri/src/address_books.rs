//! Address books the user adds in Settings (CardDAV accounts, LDAP directories): stored in the
//! app's settings store, passwords only in the OS keychain, read in the background on an
//! interval, and searched from the in-memory copy so a slow or large directory never delays
//! the search box. Changes apply at once, without logging in again.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use koppla_search::sources::{CardDavSource, LdapSettings, LdapSource};
use koppla_search::{ContactSource, LoadFuture, SearchEntry, SourceError};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{AddressBookConfig, AddressBookInput, AddressBookKind, AddressBookView};
use crate::AppState;

/// Tells the UI to reload the list (a read finished, a book was added or removed).
pub const CHANGED_EVENT: &str = "address-books-changed";
const STORE_KEY: &str = "address_books";
/// Directories change slowly; a quarter of an hour keeps new colleagues findable the same day
/// without loading the server.
const REFRESH_EVERY: Duration = Duration::from_secs(15 * 60);
/// One whole read, all pages: large directories take a while, and it runs in the background.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// "Test connection" waits on the user, so it gives up sooner.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_NAME_CHARS: usize = 80;

impl From<SourceError> for UiError {
    fn from(err: SourceError) -> UiError {
        let code = match &err {
            SourceError::Connect { .. } => "address_book_unreachable",
            SourceError::Unauthorized => "address_book_unauthorized",
            SourceError::BadFilter { .. } => "address_book_bad_filter",
            // noSuchObject: the base DN is not in the directory.
            SourceError::Directory { code: 32, .. } => "address_book_no_base",
            SourceError::Directory { .. } | SourceError::Status { .. } => "address_book_refused",
            SourceError::Timeout(_) => "address_book_timeout",
            SourceError::Config(_) => "address_book_config",
            SourceError::TooLarge { .. } | SourceError::TooMany { .. } => "address_book_too_large",
            SourceError::Parse(_) => "address_book_malformed",
            SourceError::Store(_) => "storage",
        };
        UiError::new(code, err)
    }
}

/// One configured book at run time.
struct Book {
    config: AddressBookConfig,
    password: String,
    password_saved: bool,
    entries: Arc<Vec<SearchEntry>>,
    read: Option<u32>,
    loading: bool,
    error: Option<UiError>,
    /// Bumped on every edit, so a read started before the edit does not overwrite it.
    generation: u64,
}

impl Book {
    /// A book not read yet.
    fn new(config: AddressBookConfig, password: String, password_saved: bool) -> Book {
        Book {
            config,
            password,
            password_saved,
            entries: Arc::default(),
            read: None,
            loading: false,
            error: None,
            generation: 0,
        }
    }

    fn view(&self) -> AddressBookView {
        AddressBookView {
            config: self.config.clone(),
            password_saved: self.password_saved,
            entries: self.read,
            loading: self.loading,
            error: self.error.clone(),
        }
    }
}

#[derive(Default)]
pub struct AddressBooks {
    books: Mutex<Vec<Book>>,
}

impl AddressBooks {
    fn lock(&self) -> MutexGuard<'_, Vec<Book>> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn views(&self) -> Vec<AddressBookView> {
        self.lock().iter().map(Book::view).collect()
    }

    /// What the search index reads: each book's last copy, instantly.
    fn snapshots(&self) -> Vec<Arc<dyn ContactSource>> {
        self.lock()
            .iter()
            .map(|b| {
                Arc::new(Snapshot {
                    name: b.config.name.clone(),
                    entries: Arc::clone(&b.entries),
                }) as Arc<dyn ContactSource>
            })
            .collect()
    }
}

/// A book's last read, handed to the index without touching the network.
struct Snapshot {
    name: String,
    entries: Arc<Vec<SearchEntry>>,
}

impl ContactSource for Snapshot {
    fn name(&self) -> &str {
        &self.name
    }
    fn load(&self) -> LoadFuture<'_> {
        let entries = self.entries.as_ref().clone();
        Box::pin(async move { Ok(entries) })
    }
}

fn keychain_account(id: &str) -> String {
    format!("address-book:{id}")
}

/// Trims the fields, checks what does not need the network and clears what the kind does not
/// use (a CardDAV account has no base DN).
fn normalise(mut config: AddressBookConfig) -> UiResult<AddressBookConfig> {
    config.name = config.name.trim().to_string();
    config.url = config.url.trim().to_string();
    config.username = config.username.trim().to_string();
    config.base_dn = config.base_dn.trim().to_string();
    config.filter = config.filter.trim().to_string();
    if config.name.is_empty() || config.name.chars().count() > MAX_NAME_CHARS {
        return Err(UiError::new(
            "address_book_name",
            format!("a name of 1 to {MAX_NAME_CHARS} characters is needed"),
        ));
    }
    if config.kind == AddressBookKind::CardDav {
        config.base_dn.clear();
        config.filter.clear();
    }
    Ok(config)
}

/// The network source for a book; fails on an address or filter the source refuses.
fn source_for(
    config: &AddressBookConfig,
    password: &str,
) -> Result<Arc<dyn ContactSource>, SourceError> {
    Ok(match config.kind {
        AddressBookKind::CardDav => Arc::new(CardDavSource::new(
            &config.name,
            &config.url,
            &config.username,
            password,
        )?),
        AddressBookKind::Ldap => Arc::new(LdapSource::new(LdapSettings {
            name: config.name.clone(),
            url: config.url.clone(),
            base_dn: config.base_dn.clone(),
            bind_dn: config.username.clone(),
            password: password.to_string(),
            filter: config.filter.clone(),
        })?),
    })
}

/// Reads with a deadline, so a server that accepts and then says nothing cannot hang a book.
async fn read(
    source: Arc<dyn ContactSource>,
    limit: Duration,
) -> Result<Vec<SearchEntry>, SourceError> {
    tokio::time::timeout(limit, source.load())
        .await
        .unwrap_or(Err(SourceError::Timeout(limit)))
}

fn new_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("book-{nanos:x}")
}

async fn persist(app: &AppHandle) -> UiResult<()> {
    let configs: Vec<AddressBookConfig> = app
        .state::<AddressBooks>()
        .lock()
        .iter()
        .map(|b| b.config.clone())
        .collect();
    app.state::<AppState>()
        .store
        .set_setting(STORE_KEY, &configs)
        .await?;
    Ok(())
}

/// Hands the books' current copies to the search index and tells the UI.
async fn apply(app: &AppHandle) {
    let snapshots = app.state::<AddressBooks>().snapshots();
    app.state::<AppState>()
        .search
        .set_address_books(snapshots)
        .await;
    let _ = app.emit(CHANGED_EVENT, ());
    let _ = app.emit(crate::activity::SEARCH_EVENT, ());
}

/// Reads one book into its copy. A failed read keeps the previous copy: a server that is down
/// for a moment must not empty the search of its people.
async fn refresh_book(app: &AppHandle, id: &str) {
    let started = {
        let books = app.state::<AddressBooks>();
        let mut books = books.lock();
        let Some(book) = books.iter_mut().find(|b| b.config.id == id) else {
            return;
        };
        match source_for(&book.config, &book.password) {
            Ok(source) => {
                book.loading = true;
                Some((source, book.generation))
            }
            Err(err) => {
                book.error = Some(err.into());
                None
            }
        }
    };
    let _ = app.emit(CHANGED_EVENT, ());
    let Some((source, generation)) = started else {
        return;
    };
    let result = read(source, READ_TIMEOUT).await;
    {
        let books = app.state::<AddressBooks>();
        let mut books = books.lock();
        let Some(book) = books
            .iter_mut()
            .find(|b| b.config.id == id && b.generation == generation)
        else {
            return;
        };
        book.loading = false;
        match result {
            Ok(entries) => {
                book.read = Some(u32::try_from(entries.len()).unwrap_or(u32::MAX));
                book.entries = Arc::new(entries);
                book.error = None;
            }
            Err(err) => {
                tracing::warn!(book = %book.config.name, %err, "address book not read");
                book.error = Some(err.into());
            }
        }
    }
    apply(app).await;
}

fn spawn_refresh(app: &AppHandle, id: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh_book(&app, &id).await });
}

/// Loads the saved books and their passwords, then reads every book now and every
/// [`REFRESH_EVERY`] after.
pub fn start(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let saved = app
            .state::<AppState>()
            .store
            .get_setting::<Vec<AddressBookConfig>>(STORE_KEY)
            .await;
        let configs = match saved {
            Ok(configs) => configs.unwrap_or_default(),
            Err(err) => {
                tracing::warn!(%err, "address books unreadable; none loaded");
                Vec::new()
            }
        };
        let mut books = Vec::new();
        for config in configs {
            let (password, password_saved) = match crate::secrets::load_password(&keychain_account(
                &config.id,
            )) {
                Ok(password) => (password.unwrap_or_default(), true),
                Err(err) => {
                    tracing::warn!(%err, book = %config.name, "address book password unavailable");
                    (String::new(), false)
                }
            };
            books.push(Book::new(config, password, password_saved));
        }
        app.state::<AddressBooks>().lock().extend(books);
        loop {
            let ids: Vec<String> = app
                .state::<AddressBooks>()
                .lock()
                .iter()
                .map(|b| b.config.id.clone())
                .collect();
            for id in ids {
                refresh_book(&app, &id).await;
            }
            tokio::time::sleep(REFRESH_EVERY).await;
        }
    });
}

/// The password a save or test uses: the typed one, else the one already held for this book.
fn password_for(books: &AddressBooks, input: &AddressBookInput) -> String {
    match &input.password {
        Some(password) => password.clone(),
        None => books
            .lock()
            .iter()
            .find(|b| !input.config.id.is_empty() && b.config.id == input.config.id)
            .map(|b| b.password.clone())
            .unwrap_or_default(),
    }
}

/// Keeps the password in the keychain only; `false` when the keychain refused (the book still
/// works until Koppla closes, and the settings say so).
fn keep_password(id: &str, password: &str) -> bool {
    let account = keychain_account(id);
    let kept = if password.is_empty() {
        crate::secrets::forget_password(&account)
    } else {
        crate::secrets::store_password(&account, password)
    };
    kept.map_err(|err| tracing::warn!(%err, "address book password not kept in the keychain"))
        .is_ok()
}

#[tauri::command]
pub fn address_books_list(books: State<'_, AddressBooks>) -> Vec<AddressBookView> {
    books.views()
}

/// Adds a book (empty id) or changes one; it is read at once and searched when read.
#[tauri::command]
pub async fn address_book_save(
    app: AppHandle,
    input: AddressBookInput,
) -> UiResult<AddressBookView> {
    let books = app.state::<AddressBooks>();
    let mut config = normalise(input.config.clone())?;
    let password = password_for(&books, &input);
    source_for(&config, &password)?;
    if config.id.is_empty() {
        config.id = new_id();
    }
    let taken = books
        .lock()
        .iter()
        .any(|b| b.config.id != config.id && b.config.name.eq_ignore_ascii_case(&config.name));
    if taken {
        return Err(UiError::new(
            "address_book_name_taken",
            format!("another address book is called {}", config.name),
        ));
    }
    let password_saved = keep_password(&config.id, &password);
    let view = {
        let mut list = books.lock();
        let book = match list.iter_mut().position(|b| b.config.id == config.id) {
            Some(at) => &mut list[at],
            None => {
                list.push(Book::new(config.clone(), String::new(), password_saved));
                list.last_mut().expect("just pushed")
            }
        };
        // The name is part of each entry's source, so a renamed book is read again too.
        book.config = config.clone();
        book.password = password;
        book.password_saved = password_saved;
        book.generation += 1;
        book.error = None;
        book.loading = true;
        book.view()
    };
    persist(&app).await?;
    spawn_refresh(&app, config.id);
    Ok(view)
}

#[tauri::command]
pub async fn address_book_remove(app: AppHandle, id: String) -> UiResult<()> {
    let removed = {
        let books = app.state::<AddressBooks>();
        let mut list = books.lock();
        let before = list.len();
        list.retain(|b| b.config.id != id);
        before != list.len()
    };
    if !removed {
        return Err(UiError::new("not_found", format!("no address book {id}")));
    }
    persist(&app).await?;
    if let Err(err) = crate::secrets::forget_password(&keychain_account(&id)) {
        tracing::warn!(%err, "address book password left in the keychain");
    }
    apply(&app).await;
    Ok(())
}

/// Reads the book as configured (not saved) and says how many people it holds, or why not.
#[tauri::command]
pub async fn address_book_test(app: AppHandle, input: AddressBookInput) -> UiResult<u32> {
    let config = normalise(input.config.clone())?;
    let password = password_for(&app.state::<AddressBooks>(), &input);
    test_read(source_for(&config, &password)?, TEST_TIMEOUT).await
}

async fn test_read(source: Arc<dyn ContactSource>, limit: Duration) -> UiResult<u32> {
    let entries = read(source, limit).await?;
    Ok(u32::try_from(entries.len()).unwrap_or(u32::MAX))
}

#[cfg(test)]
#[path = "address_books_tests.rs"]
mod tests;

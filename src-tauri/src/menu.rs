//! The window's menu bar: File, Tools, Call and Help, in the app's language (rebuilt when it
//! changes). Items do not act in Rust beyond Exit and Help: they tell the window where to go
//! (`menu://navigate`, a [`MenuTarget`]) or which call shortcut to run (`menu://call`, a
//! [`MenuCall`]), so the menu and the in-window keys share one path in the UI. Only features that
//! exist have items; My page and Future activities come when the switch offers them.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Emitter, Manager};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{AboutView, ComponentLicence, MenuCall, MenuTarget};
use crate::AppState;

pub const NAVIGATE_EVENT: &str = "menu://navigate";
pub const CALL_EVENT: &str = "menu://call";

/// What an item does, by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Navigate(MenuTarget),
    Call(MenuCall),
    Exit,
}

/// Every item: id, Swedish and English label, action, keyboard accelerator. The ids are what
/// [`menu_activate`] takes, so a test presses the same item a user does.
const ITEMS: &[(&str, &str, &str, Action)] = &[
    (
        "file.account",
        "Konto",
        "Account",
        Action::Navigate(MenuTarget::Account),
    ),
    (
        "file.audio",
        "Ljud",
        "Audio",
        Action::Navigate(MenuTarget::Audio),
    ),
    ("file.exit", "Avsluta", "Exit", Action::Exit),
    (
        "tools.createContact",
        "Skapa kontakt",
        "Create contact",
        Action::Navigate(MenuTarget::CreateContact),
    ),
    (
        "tools.inbox",
        "Inkorg",
        "Inbox",
        Action::Navigate(MenuTarget::Inbox),
    ),
    (
        "tools.activity",
        "Aktivitetshänvisning",
        "Activity diversion",
        Action::Navigate(MenuTarget::Activity),
    ),
    (
        "tools.settings",
        "Inställningar",
        "Settings",
        Action::Navigate(MenuTarget::Settings),
    ),
    (
        "call.answer",
        "Svara",
        "Answer",
        Action::Call(MenuCall::Answer),
    ),
    (
        "call.hangup",
        "Lägg på",
        "Hang up",
        Action::Call(MenuCall::Hangup),
    ),
    (
        "call.hold",
        "Parkera/återta",
        "Hold/resume",
        Action::Call(MenuCall::Hold),
    ),
    (
        "call.mute",
        "Mikrofon av/på",
        "Mute/unmute",
        Action::Call(MenuCall::Mute),
    ),
    (
        "call.focusSearch",
        "Sök",
        "Search",
        Action::Call(MenuCall::FocusSearch),
    ),
    (
        "help.about",
        "Om Koppla",
        "About Koppla",
        Action::Navigate(MenuTarget::About),
    ),
    (
        "help.manual",
        "Hjälp",
        "Help",
        Action::Navigate(MenuTarget::Help),
    ),
    (
        "help.privacy",
        "Integritet",
        "Privacy",
        Action::Navigate(MenuTarget::Privacy),
    ),
    (
        "help.diagnostics",
        "Diagnostik …",
        "Diagnostics …",
        Action::Navigate(MenuTarget::Diagnostics),
    ),
];

/// The menus and the ids of their items, in order.
const MENUS: &[(&str, &str, &[&str])] = &[
    (
        "Arkiv",
        "File",
        &["file.account", "file.audio", "-", "file.exit"],
    ),
    (
        "Verktyg",
        "Tools",
        &[
            "tools.createContact",
            "tools.inbox",
            "tools.activity",
            "-",
            "tools.settings",
        ],
    ),
    (
        "Samtal",
        "Call",
        &[
            "call.answer",
            "call.hangup",
            "call.hold",
            "call.mute",
            "-",
            "call.focusSearch",
        ],
    ),
    (
        "Hjälp",
        "Help",
        &[
            "help.manual",
            "help.privacy",
            "help.diagnostics",
            "-",
            "help.about",
        ],
    ),
];

pub fn action(id: &str) -> Option<Action> {
    ITEMS.iter().find(|item| item.0 == id).map(|item| item.3)
}

fn label(id: &str, language: &str) -> &'static str {
    match ITEMS.iter().find(|item| item.0 == id) {
        Some((_, _, en, _)) if language == "en" => en,
        Some((_, sv, _, _)) => sv,
        None => "?",
    }
}

/// The call keys the user chose, shown beside the Call items. They are handled in the window
/// (call_keys.rs), so the menu only shows them; an accelerator here would fire twice.
fn shortcut_hint(id: &str, keys: &crate::ipc_types::CallKeys) -> Option<String> {
    let combination = match id {
        "call.answer" => &keys.answer,
        "call.hangup" => &keys.hangup,
        "call.hold" => &keys.hold,
        "call.mute" => &keys.mute,
        "call.focusSearch" => &keys.focus_search,
        _ => return None,
    };
    (!combination.is_empty()).then(|| combination.clone())
}

fn build(app: &AppHandle) -> tauri::Result<Menu<tauri::Wry>> {
    let settings = app.state::<AppState>().settings();
    let language = settings.language.as_str();
    let menu = Menu::new(app)?;
    // macOS makes the first menu the application menu, and text fields get copy and paste only
    // from an Edit menu; Windows and Linux need neither.
    let mac = cfg!(target_os = "macos");
    if mac {
        menu.append(&mac_app_menu(app)?)?;
    }
    for (index, (sv, en, ids)) in MENUS.iter().enumerate() {
        let title = if language == "en" { en } else { sv };
        let submenu = Submenu::new(app, *title, true)?;
        for id in *ids {
            if *id == "-" {
                submenu.append(&PredefinedMenuItem::separator(app)?)?;
                continue;
            }
            let mut text = label(id, language).to_string();
            if let Some(keys) = shortcut_hint(id, &settings.call_keys) {
                text = format!("{text}  ({keys})");
            }
            submenu.append(&MenuItem::with_id(app, *id, text, true, None::<&str>)?)?;
        }
        menu.append(&submenu)?;
        if mac && index == 0 {
            menu.append(&edit_menu(app, language)?)?;
        }
    }
    Ok(menu)
}

fn mac_app_menu(app: &AppHandle) -> tauri::Result<Submenu<tauri::Wry>> {
    Submenu::with_items(
        app,
        "Koppla",
        true,
        &[
            &PredefinedMenuItem::hide(app, None)?,
            &PredefinedMenuItem::hide_others(app, None)?,
            &PredefinedMenuItem::separator(app)?,
            &PredefinedMenuItem::quit(app, None)?,
        ],
    )
}

fn edit_menu(app: &AppHandle, language: &str) -> tauri::Result<Submenu<tauri::Wry>> {
    let title = if language == "en" { "Edit" } else { "Redigera" };
    Submenu::with_items(
        app,
        title,
        true,
        &[
            &PredefinedMenuItem::undo(app, None)?,
            &PredefinedMenuItem::redo(app, None)?,
            &PredefinedMenuItem::separator(app)?,
            &PredefinedMenuItem::cut(app, None)?,
            &PredefinedMenuItem::copy(app, None)?,
            &PredefinedMenuItem::paste(app, None)?,
            &PredefinedMenuItem::select_all(app, None)?,
        ],
    )
}

/// Puts the menu bar on the app's windows (at start, and again for a new language or new keys).
pub fn refresh(app: &AppHandle) {
    match build(app) {
        Ok(menu) => {
            if let Err(err) = app.set_menu(menu) {
                tracing::warn!(%err, "menu bar not set");
            }
        }
        Err(err) => tracing::warn!(%err, "menu bar not built"),
    }
}

/// Installs the menu bar and its handler.
pub fn install(app: &AppHandle) {
    refresh(app);
    app.on_menu_event(|app, event| {
        // The tray's items come here too; they are not ours.
        if let Some(action) = action(event.id().as_ref()) {
            run(app, action);
        }
    });
}

fn run(app: &AppHandle, action: Action) {
    match action {
        Action::Navigate(target) => {
            crate::main_window::raise(app);
            if let Err(err) = app.emit(NAVIGATE_EVENT, target) {
                tracing::warn!(%err, "menu navigation not sent");
            }
        }
        Action::Call(call) => {
            if let Err(err) = app.emit(CALL_EVENT, call) {
                tracing::warn!(%err, "menu call action not sent");
            }
        }
        Action::Exit => app.exit(0),
    }
}

/// Runs a menu item by id, exactly as choosing it in the menu bar does. The window uses it for
/// the About link on the login page; tests use it because WebDriver cannot open native menus.
#[tauri::command]
pub fn menu_activate(app: AppHandle, id: String) -> UiResult<()> {
    let action =
        action(&id).ok_or_else(|| UiError::new("invalid_input", format!("no menu item {id:?}")))?;
    run(&app, action);
    Ok(())
}

#[derive(serde::Deserialize)]
struct Licences {
    crates: Vec<ComponentLicence>,
    npm: Vec<ComponentLicence>,
}

/// Generated by scripts/licences.mjs and committed.
const LICENCES: &str = include_str!("../licences.json");

/// Help → About: the version Cargo built this app as, and the licences.
#[tauri::command]
pub fn about_get(state: tauri::State<'_, AppState>) -> UiResult<AboutView> {
    about(&state.data_dir.display().to_string())
}

fn about(data_dir: &str) -> UiResult<AboutView> {
    let licences: Licences = serde_json::from_str(LICENCES)
        .map_err(|err| UiError::new("internal", format!("licence list unreadable: {err}")))?;
    Ok(AboutView {
        version: env!("CARGO_PKG_VERSION").to_string(),
        license: env!("CARGO_PKG_LICENSE").to_string(),
        crates: licences.crates,
        npm: licences.npm,
        data_dir: data_dir.to_string(),
        log_dir: crate::log_file::dir().map(|dir| dir.display().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_menu_entry_is_an_item_with_both_languages() {
        for (_, _, ids) in MENUS {
            for id in ids.iter().filter(|id| **id != "-") {
                assert!(action(id).is_some(), "{id} has no action");
                assert_ne!(label(id, "sv"), label(id, "en").to_uppercase(), "{id}");
            }
        }
        let listed: usize = MENUS
            .iter()
            .map(|(_, _, ids)| ids.iter().filter(|id| **id != "-").count())
            .sum();
        assert_eq!(listed, ITEMS.len(), "every item is in a menu");
    }

    #[test]
    fn items_follow_the_language() {
        assert_eq!(label("help.about", "sv"), "Om Koppla");
        assert_eq!(label("help.about", "en"), "About Koppla");
        assert_eq!(label("file.exit", "sv"), "Avsluta");
    }

    #[test]
    fn ids_map_to_their_actions() {
        assert_eq!(
            action("help.about"),
            Some(Action::Navigate(MenuTarget::About))
        );
        assert_eq!(action("call.mute"), Some(Action::Call(MenuCall::Mute)));
        assert_eq!(action("file.exit"), Some(Action::Exit));
        assert_eq!(action("show"), None, "the tray's items are not ours");
    }

    #[test]
    fn call_items_show_the_chosen_keys() {
        let keys = crate::ipc_types::CallKeys {
            mute: String::new(),
            ..Default::default()
        };
        assert_eq!(
            shortcut_hint("call.answer", &keys),
            Some(keys.answer.clone())
        );
        assert_eq!(shortcut_hint("call.mute", &keys), None);
        assert_eq!(shortcut_hint("help.about", &keys), None);
    }

    #[test]
    fn about_reports_cargos_version_and_the_licences() {
        let about = about("/data").unwrap();
        assert_eq!(about.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(about.license, "GPL-3.0-or-later");
        assert!(about.crates.iter().any(|c| c.name == "tauri"));
        assert!(about.npm.iter().any(|p| p.name == "preact"));
    }
}

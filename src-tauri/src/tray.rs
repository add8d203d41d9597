//! The tray icon: Koppla keeps running there when its window is closed. Its tooltip says whether
//! calls can come in and what my activity is; its menu sets the activity without opening the
//! window.

use tauri::menu::{CheckMenuItem, IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

use crate::ipc_types::{ActivityChange, ActivityOptionView, ActivityView, SessionView};
use crate::AppState;

const TRAY_ID: &str = "koppla";
const ACTIVITY_PREFIX: &str = "activity:";

struct Words {
    show: &'static str,
    quit: &'static str,
    activity: &'static str,
    logged_out: &'static str,
    connecting: &'static str,
    registered: &'static str,
    not_registered: &'static str,
    /// One new voicemail message, and several.
    new_voicemail: (&'static str, &'static str),
}

fn words(language: &str) -> Words {
    if language == "en" {
        Words {
            show: "Show Koppla",
            quit: "Quit",
            activity: "Activity",
            logged_out: "logged out",
            connecting: "connecting …",
            registered: "ready for calls",
            not_registered: "not registered",
            new_voicemail: ("new voice message", "new voice messages"),
        }
    } else {
        Words {
            show: "Visa Koppla",
            quit: "Avsluta",
            activity: "Aktivitet",
            logged_out: "utloggad",
            connecting: "ansluter …",
            registered: "redo för samtal",
            not_registered: "inte registrerad",
            new_voicemail: ("nytt röstmeddelande", "nya röstmeddelanden"),
        }
    }
}

/// The option's label in the user's language, the switch's own label otherwise.
fn label(id: &str, fallback: &str, options: &[ActivityOptionView], language: &str) -> String {
    let option = options.iter().find(|o| o.id == id);
    match option {
        Some(o) if language != "en" => o.label_sv.clone().unwrap_or_else(|| o.label.clone()),
        Some(o) => o.label.clone(),
        None => fallback.to_string(),
    }
}

/// "Koppla – anna: redo för samtal · Lunch · 2 nya röstmeddelanden".
pub fn tooltip(
    session: &SessionView,
    activity: Option<&ActivityView>,
    options: &[ActivityOptionView],
    new_voicemail: u32,
    language: &str,
) -> String {
    let w = words(language);
    let status = match session {
        SessionView::LoggedOut { .. } => w.logged_out.to_string(),
        SessionView::Connecting { username } => format!("{username}: {}", w.connecting),
        SessionView::Online {
            username,
            display_name,
            registered,
            ..
        } => {
            let who = display_name.as_deref().unwrap_or(username);
            let state = if *registered {
                w.registered
            } else {
                w.not_registered
            };
            let mut text = match activity {
                Some(a) => format!(
                    "{who}: {state} · {}",
                    label(&a.id, &a.label, options, language)
                ),
                None => format!("{who}: {state}"),
            };
            if new_voicemail > 0 {
                let (one, many) = w.new_voicemail;
                let words = if new_voicemail == 1 { one } else { many };
                text.push_str(&format!(" · {new_voicemail} {words}"));
            }
            text
        }
    };
    format!("Koppla – {status}")
}

/// New voicemail messages the tooltip tells about (kept here so the tray needs nothing from
/// the voicemail module).
#[derive(Default)]
pub struct TrayCounts {
    new_voicemail: std::sync::atomic::AtomicU32,
}

/// The number of new voicemail messages changed.
pub fn show_voicemail(app: &AppHandle, new: u32) {
    let Some(counts) = app.try_state::<TrayCounts>() else {
        return;
    };
    let before = counts
        .new_voicemail
        .swap(new, std::sync::atomic::Ordering::Relaxed);
    if before != new {
        refresh(app);
    }
}

/// The activity a menu item sets, for items made by [`refresh`].
pub fn activity_of(menu_id: &str) -> Option<&str> {
    menu_id
        .strip_prefix(ACTIVITY_PREFIX)
        .filter(|id| !id.is_empty())
}

fn menu(app: &AppHandle) -> tauri::Result<Menu<tauri::Wry>> {
    let state = app.state::<AppState>();
    let language = state.settings().language;
    let w = words(&language);
    let show = MenuItem::with_id(app, "show", w.show, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", w.quit, true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let Some((current, options)) = state.switch.snapshot() else {
        return Menu::with_items(app, &[&show, &separator, &quit]);
    };
    let mut choices = Vec::new();
    for option in &options {
        choices.push(CheckMenuItem::with_id(
            app,
            format!("{ACTIVITY_PREFIX}{}", option.id),
            label(&option.id, &option.label, &options, &language),
            true,
            option.id == current.id,
            None::<&str>,
        )?);
    }
    let items: Vec<&dyn IsMenuItem<tauri::Wry>> = choices
        .iter()
        .map(|item| item as &dyn IsMenuItem<tauri::Wry>)
        .collect();
    let activities = Submenu::with_items(app, w.activity, true, &items)?;
    Menu::with_items(app, &[&show, &activities, &separator, &quit])
}

/// Brings the tooltip and menu up to date with the session, activity and language.
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let state = app.state::<AppState>();
    let snapshot = state.switch.snapshot();
    let (activity, options) = match &snapshot {
        Some((current, options)) => (Some(current), options.as_slice()),
        None => (None, &[][..]),
    };
    let new_voicemail = app.try_state::<TrayCounts>().map_or(0, |c| {
        c.new_voicemail.load(std::sync::atomic::Ordering::Relaxed)
    });
    let text = tooltip(
        &state.session.view(),
        activity,
        options,
        new_voicemail,
        &state.settings().language,
    );
    if let Err(err) = tray.set_tooltip(Some(text)) {
        tracing::debug!(%err, "tray tooltip not updated");
    }
    match menu(app) {
        Ok(menu) => {
            if let Err(err) = tray.set_menu(Some(menu)) {
                tracing::debug!(%err, "tray menu not updated");
            }
        }
        Err(err) => tracing::debug!(%err, "tray menu not built"),
    }
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        "show" => crate::main_window::raise(app),
        "quit" => app.exit(0),
        other => {
            let Some(activity) = activity_of(other) else {
                return;
            };
            let change = ActivityChange {
                id: activity.to_string(),
                until: None,
                note: None,
            };
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(err) = crate::activity::activity_set(app.clone(), change).await {
                    tracing::warn!(code = %err.code, "activity from the tray not saved");
                    // Put the check mark back where the switch says it is.
                    refresh(&app);
                }
            });
        }
    }
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Koppla")
        .menu(&menu(app)?)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    refresh(app);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn online(registered: bool) -> SessionView {
        SessionView::Online {
            kind: crate::ipc_types::AccountKind::Builtin,
            username: "anna".into(),
            display_name: Some("Anna Lindqvist".into()),
            registered,
            registration_error: None,
            registration_error_code: None,
            switch_features: true,
            echo_number: None,
            password_not_saved: None,
        }
    }

    fn lunch() -> (ActivityView, Vec<ActivityOptionView>) {
        let activity = ActivityView {
            id: "meeting".into(),
            label: "Meeting".into(),
            color: "#c62828".into(),
            reachable: false,
            until: None,
            note: None,
        };
        let options = vec![ActivityOptionView {
            id: "meeting".into(),
            label: "Meeting".into(),
            label_sv: Some("Möte".into()),
            color: "#c62828".into(),
            reachable: false,
        }];
        (activity, options)
    }

    #[test]
    fn tooltip_says_whether_calls_come_in_and_the_activity() {
        let (activity, options) = lunch();
        assert_eq!(
            tooltip(&online(true), Some(&activity), &options, 0, "sv"),
            "Koppla – Anna Lindqvist: redo för samtal · Möte"
        );
        assert_eq!(
            tooltip(&online(false), Some(&activity), &options, 0, "en"),
            "Koppla – Anna Lindqvist: not registered · Meeting"
        );
        assert_eq!(
            tooltip(&online(true), Some(&activity), &options, 1, "sv"),
            "Koppla – Anna Lindqvist: redo för samtal · Möte · 1 nytt röstmeddelande"
        );
        assert_eq!(
            tooltip(&online(true), None, &[], 3, "en"),
            "Koppla – Anna Lindqvist: ready for calls · 3 new voice messages"
        );
        assert_eq!(
            tooltip(&online(true), None, &[], 0, "sv"),
            "Koppla – Anna Lindqvist: redo för samtal"
        );
        let logged_out = SessionView::LoggedOut {
            error: None,
            error_code: None,
            last_username: None,
            last_kind: None,
        };
        assert_eq!(
            tooltip(&logged_out, None, &[], 0, "sv"),
            "Koppla – utloggad"
        );
    }

    #[test]
    fn only_activity_items_set_an_activity() {
        assert_eq!(activity_of("activity:lunch"), Some("lunch"));
        assert_eq!(activity_of("activity:"), None);
        assert_eq!(activity_of("show"), None);
    }
}

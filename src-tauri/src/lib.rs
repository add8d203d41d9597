//! The Koppla desktop app: a thin Tauri shell. Call logic, parsing, search and storage live in the
//! `crates/` libraries; this crate wires them to windows, the tray, global hotkeys and OS links.

mod activity;
mod address_books;
mod audio;
mod audio_hotplug;
mod autostart;
mod blocked;
mod call_commands;
mod call_keys;
mod calls;
mod commands;
mod conference;
mod contacts;
mod diagnostics;
mod diagnostics_redact;
mod dial_request;
mod embedded;
mod errors;
mod external;
mod history;
mod hotkey;
mod ipc_types;
mod links;
mod log_file;
mod main_window;
mod menu;
mod missed_import;
mod notices;
mod on_call;
mod parking;
mod pending_dials;
mod placements;
mod queues;
mod recordings;
mod ringtone;
mod search;
mod secrets;
mod selection;
mod session;
mod settings;
mod sip_trace;
mod state;
mod switch_api;
mod switch_feed;
mod switch_services;
mod tray;
mod voicemail;
mod voicemail_settings;

use tauri::Manager;
use tauri_plugin_deep_link::DeepLinkExt;

pub use ipc_types::*;
pub use state::AppState;

/// Starts the app. The single-instance plugin comes first so that a second launch (for example
/// from a clicked `tel:` link) hands its arguments to this instance and exits at once.
pub fn run() {
    init_logging();
    // tokio-tungstenite builds its wss:// TLS settings from rustls's process-wide provider; name
    // it here so the switch's event stream never depends on which backends other crates enable.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            tracing::info!(
                args = argv.len(),
                "second instance started; it hands over to this one"
            );
            main_window::raise(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(autostart::plugin())
        .plugin(main_window::state_plugin())
        .plugin(hotkey::plugin())
        .on_window_event(|window, event| {
            // Closing the window keeps Koppla running in the tray: calls, links and F8 keep working.
            match event {
                tauri::WindowEvent::CloseRequested { api, .. } => {
                    api.prevent_close();
                    let _ = window.hide();
                    main_window::save_state(window.app_handle());
                    tracing::info!("window hidden to the tray");
                }
                tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_) => {
                    main_window::save_when_settled(window.app_handle());
                }
                _ => {}
            }
        })
        .manage(dial_request::Pending::default())
        .manage(main_window::SaveWhenSettled::default())
        .manage(hotkey::HotkeyState::default())
        .manage(parking::Parking::default())
        .manage(voicemail::Mailbox::default())
        .manage(address_books::AddressBooks::default())
        .manage(tray::TrayCounts::default())
        .invoke_handler(tauri::generate_handler![
            commands::take_pending_dial_requests,
            commands::hotkey_get,
            commands::hotkey_set,
            settings::settings_get,
            settings::settings_set,
            session::session_get,
            session::login,
            session::logout,
            session::login_cancel,
            call_commands::calls_list,
            call_commands::call_place,
            call_commands::dial_request_call,
            call_commands::call_action,
            conference::conference_merge,
            conference::conference_split,
            search::search,
            search::search_enter,
            address_books::address_books_list,
            address_books::address_book_save,
            address_books::address_book_remove,
            address_books::address_book_test,
            contacts::contacts_list,
            contacts::contact_save,
            contacts::contact_delete,
            history::history_list,
            history::history_mark_seen,
            history::missed_count,
            activity::activity_current,
            activity::activity_options,
            activity::activity_set,
            queues::queues_list,
            queues::queue_login,
            parking::parked_list,
            parking::parked_pick_up,
            parking::colleague_pick_up,
            voicemail::voicemail_get,
            voicemail::voicemail_play,
            voicemail::voicemail_pause,
            voicemail::voicemail_seek,
            voicemail::voicemail_stop,
            voicemail::voicemail_mark_heard,
            voicemail::voicemail_delete,
            voicemail::voicemail_save,
            voicemail_settings::voicemail_settings_get,
            voicemail_settings::voicemail_pin_set,
            voicemail_settings::greeting_upload,
            voicemail_settings::greeting_delete,
            voicemail_settings::greeting_play,
            voicemail_settings::voicemail_notify_set,
            audio::audio_devices,
            audio::audio_level,
            external::open_external,
            menu::menu_activate,
            menu::about_get,
            diagnostics::diagnostics_save,
        ])
        .setup(|app| {
            let state = tauri::async_runtime::block_on(open_state(app.handle()))?;
            main_window::apply_view_mode(app.handle(), state.settings().view_mode);
            app.manage(state);
            register_link_schemes(app);
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    links::handle_url(&handle, url.as_str());
                }
            });
            // A link that started the app arrives as an argument, not as an event.
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                for url in urls {
                    links::handle_url(app.handle(), url.as_str());
                }
            }
            hotkey::register_default(app.handle());
            tray::create(app.handle())?;
            menu::install(app.handle());
            match app.path().app_log_dir() {
                Ok(dir) => {
                    if let Err(err) = log_file::open_in(&dir) {
                        tracing::warn!(%err, dir = %dir.display(), "log file not opened");
                    }
                }
                Err(err) => tracing::warn!(%err, "no log folder"),
            }
            audio_hotplug::spawn(app.handle().clone());
            address_books::start(app.handle().clone());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                autostart::adopt_os_choice(&handle).await;
                handle.state::<AppState>().search.refresh().await;
                session::auto_login(handle).await;
            });
            tracing::info!("Koppla is ready");
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(err) => {
            tracing::error!(%err, "Koppla could not start");
            std::process::exit(1);
        }
    }
}

/// Opens the local database (creating it on first start) and loads the settings.
async fn open_state(app: &tauri::AppHandle) -> Result<AppState, Box<dyn std::error::Error>> {
    let data_dir = app.path().app_data_dir()?;
    std::fs::create_dir_all(&data_dir)?;
    let store = koppla_store::Store::open(&data_dir.join("koppla.db")).await?;
    let interrupted = store.close_unfinished_calls().await?;
    if interrupted > 0 {
        tracing::info!(interrupted, "closed calls left open by an earlier run");
    }
    let settings = settings::load(&store).await;
    Ok(AppState::new(store, settings, data_dir))
}

/// The log goes to stderr and to the size-capped log file (log_file.rs), both filtered by
/// `KOPPLA_LOG`; the SIP trace for Diagnostics has its own filter (sip_trace.rs).
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("KOPPLA_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let file = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(log_file::writer())
        .with_filter(filter());
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .with(sip_trace::layer())
        .try_init();
}

/// Linux and Windows only learn about scheme handlers at run time (macOS reads Info.plist).
fn register_link_schemes(app: &tauri::App) {
    #[cfg(any(target_os = "linux", windows))]
    if let Err(err) = app.deep_link().register_all() {
        tracing::warn!(%err, "could not register tel:/callto:/sip: handlers");
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = app;
}

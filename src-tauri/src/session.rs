//! Logging in and out: the built-in switch, a Koppla Växel server, or any SIP server. A session
//! is one running user agent plus, with Koppla Växel, a client-API token for the directory.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use koppla_sip::{TlsConfig, Transport, TransportConfig};
use koppla_ua::runtime::{self, Command, RuntimeConfig};
use koppla_ua::{Account, Secret, UaConfig, UaEvent};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::{mpsc, oneshot, watch};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{AccountKind, LoginRequest, SessionView};
use crate::switch_api::SwitchClient;
use crate::AppState;

pub const SESSION_EVENT: &str = "session-changed";
const LAST_ACCOUNT_KEY: &str = "account.last";
const REGISTER_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the login waits for the switch's service list (the echo test's number); a switch
/// that does not answer in time just gets no first-run hint.
const SERVICES_TIMEOUT: Duration = Duration::from_secs(3);

/// The account to offer (and log in to) next time. The password is in the keychain, not here.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LastAccount {
    kind: AccountKind,
    server: Option<String>,
    username: String,
    transport: Option<String>,
}

struct Active {
    commands: mpsc::Sender<Command>,
    /// Domain for numbers dialled without one.
    domain: String,
    /// Resolves when the engine's thread has finished.
    task: oneshot::Receiver<()>,
}

/// The call engine gets a thread and runtime of its own: media timing then never waits on the
/// UI's work, and the engine's audio backends need not be shareable between threads.
fn spawn_engine(
    config: RuntimeConfig,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<UaEvent>,
) -> UiResult<oneshot::Receiver<()>> {
    let (done_tx, done_rx) = oneshot::channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| UiError::new("engine", err))?;
    std::thread::Builder::new()
        .name("koppla-call-engine".into())
        .spawn(move || {
            if let Err(err) = runtime.block_on(runtime::run(config, commands, events)) {
                tracing::warn!(%err, "call engine stopped");
            }
            let _ = done_tx.send(());
        })
        .map_err(|err| UiError::new("engine", err))?;
    Ok(done_rx)
}

#[derive(Default)]
pub struct Session {
    view: Mutex<Option<SessionView>>,
    active: tokio::sync::Mutex<Option<Active>>,
    embedded: tokio::sync::Mutex<Option<koppla_vaxel::VaxelHandle>>,
    /// The login under way: `login_cancel` sends `true`, and the attempt stops waiting, quits
    /// its call engine (so nothing keeps retrying the server) and returns to the form.
    attempt: Mutex<Option<watch::Sender<bool>>>,
    /// The logged-in account's domain host, for telling a link's outside addresses from the
    /// company's own without waiting on the engine's lock.
    company_host: Mutex<Option<String>>,
}

impl Session {
    /// The host of the logged-in account's domain (no port), lower-cased; None when logged out.
    pub(crate) fn company_host(&self) -> Option<String> {
        self.company_host
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_company_host(&self, domain: Option<&str>) {
        let host = domain.and_then(|domain| {
            koppla_ua::SipUri::parse(&format!("sip:{domain}"))
                .ok()
                .map(|uri| uri.host.to_ascii_lowercase())
        });
        *self.company_host.lock().unwrap_or_else(|p| p.into_inner()) = host;
    }

    pub(crate) fn view(&self) -> SessionView {
        self.view
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or(SessionView::LoggedOut {
                error: None,
                error_code: None,
                last_username: None,
                last_kind: None,
            })
    }
}

fn set_view(app: &AppHandle, view: SessionView) {
    let state = app.state::<AppState>();
    *state.session.view.lock().unwrap_or_else(|p| p.into_inner()) = Some(view.clone());
    let _ = app.emit(SESSION_EVENT, view);
    crate::tray::refresh(app);
}

/// The status bar's registration state after the engine's later events: `error` is the engine's
/// reason for a failure, sent with its error code so the UI can say it in the user's language.
fn update_online(app: &AppHandle, registered: bool, error: Option<String>) {
    let registration_error_code = error
        .as_deref()
        .map(|reason| registration_error(reason).code);
    let state = app.state::<AppState>();
    if let SessionView::Online {
        kind,
        username,
        display_name,
        switch_features,
        echo_number,
        password_not_saved,
        ..
    } = state.session.view()
    {
        set_view(
            app,
            SessionView::Online {
                kind,
                username,
                display_name,
                registered,
                registration_error: error,
                registration_error_code,
                switch_features,
                echo_number,
                password_not_saved,
            },
        );
    }
}

/// Where to register and, for Koppla Växel, where its client API is.
struct Target {
    /// Known for the built-in switch; for a server name the call engine locates it (RFC 3263:
    /// NAPTR, SRV with failover, then A/AAAA) without blocking the app.
    sip: Option<SocketAddr>,
    domain: String,
    api: Option<String>,
}

fn parse_transport(name: Option<&str>) -> UiResult<Transport> {
    match name.unwrap_or("udp").to_ascii_lowercase().as_str() {
        "udp" => Ok(Transport::Udp),
        "tcp" => Ok(Transport::Tcp),
        "tls" => Ok(Transport::Tls),
        other => Err(UiError::new(
            "invalid_input",
            format!("unknown transport '{other}'"),
        )),
    }
}

/// TLS toward the server, verified against the system's trust store (where a company's CA is
/// deployed) and the public roots, by the domain's name (by address when it is one).
fn tls_for(domain: &str) -> UiResult<TlsConfig> {
    let host = koppla_ua::SipUri::parse(&format!("sip:{domain}"))
        .map_err(|err| UiError::new("invalid_server", err))?
        .host;
    let name = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_err()
        .then_some(host);
    TlsConfig::system(name).map_err(|err| UiError::new("tls", err.to_string()))
}

async fn target_for(app: &AppHandle, request: &LoginRequest) -> UiResult<Target> {
    let state = app.state::<AppState>();
    if request.kind == AccountKind::Builtin {
        let mut embedded = state.session.embedded.lock().await;
        if embedded.is_none() {
            *embedded = Some(crate::embedded::start(&state.data_dir).await?);
        }
        let handle = embedded
            .as_ref()
            .ok_or_else(|| UiError::new("switch_start", "the built-in switch did not start"))?;
        crate::embedded::ensure_user(handle, &request.username, &request.password).await?;
        return Ok(Target {
            sip: Some(handle.sip_addr),
            domain: handle.sip_addr.to_string(),
            api: Some(format!("http://{}", handle.api_addr)),
        });
    }
    let server = request
        .server
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| UiError::new("invalid_input", "enter the server address"))?;
    let uri = koppla_ua::SipUri::parse(&format!("sip:{server}"))
        .map_err(|err| UiError::new("invalid_server", err))?;
    let api = (request.kind == AccountKind::Vaxel).then(|| format!("https://{}", uri.host));
    Ok(Target {
        sip: None,
        domain: uri.host_port(),
        api,
    })
}

async fn connect(
    app: &AppHandle,
    request: &LoginRequest,
    mut cancel: watch::Receiver<bool>,
) -> UiResult<SessionView> {
    let state = app.state::<AppState>();
    let typed = request.username.trim();
    if typed.is_empty() {
        return Err(UiError::new("invalid_input", "enter your user name"));
    }
    let transport = parse_transport(request.transport.as_deref())?;
    // Starting the built-in switch is local and quick, and stopping it half-way would leave its
    // listeners behind: it is not interrupted, only checked for a cancel afterwards.
    let target = target_for(app, request).await?;
    if *cancel.borrow() {
        return Err(cancelled_error());
    }
    let switch = match &target.api {
        Some(base) => Some(
            until_cancelled(
                &mut cancel,
                SwitchClient::login(base, typed, &request.password),
            )
            .await??,
        ),
        None => None,
    };
    // Koppla Växel answers the name it stores ("Anna Öberg" is anna.oberg): that is the SIP
    // user, and what the app shows it is logged in as.
    let username = switch
        .as_ref()
        .map_or(typed, |(_, me)| me.username.as_str())
        .to_string();
    let aor = format!("sip:{username}@{}", target.domain);
    let mut account = Account::new(
        &aor,
        None,
        Some(Secret::new(request.password.clone())),
        transport,
    )
    .map_err(|err| UiError::new("invalid_input", err))?;
    if target.sip.is_some() {
        account.server = target.sip;
    }
    let bind = SocketAddr::from(([0, 0, 0, 0], 0));
    let mut transport_config = TransportConfig::new(bind);
    if transport == Transport::Tls {
        transport_config.tls = Some(tls_for(&target.domain)?);
    }
    let mut ua = UaConfig::new(account, bind);
    ua.accept_direct_requests = state.settings().accept_direct_calls;
    let config = RuntimeConfig {
        ua,
        transport: transport_config,
        auto_answer: state.settings().auto_answer,
        audio: Box::new(crate::audio::DeviceAudio::new(
            &state.settings(),
            state.audio.clone(),
        )),
        dns: None,
    };

    let (commands, command_rx) = mpsc::channel(64);
    let (event_tx, event_rx) = mpsc::channel(256);
    let task = spawn_engine(config, command_rx, event_tx)?;
    let (first_tx, first_rx) = oneshot::channel();
    tauri::async_runtime::spawn(pump_events(app.clone(), event_rx, first_tx));
    let _ = commands.send(Command::Register).await;

    let registered = registration_outcome(first_rx, &mut cancel, REGISTER_TIMEOUT).await;
    if let Err(err) = registered {
        let _ = commands.send(Command::Quit).await;
        let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
        if let Some((client, _)) = &switch {
            // Not logged in after all: end the API session the switch already opened.
            let _ = tokio::time::timeout(Duration::from_secs(2), client.logout()).await;
        }
        return Err(err);
    }
    let engine = commands.clone();
    *state.session.active.lock().await = Some(Active {
        commands,
        domain: target.domain.clone(),
        task,
    });
    // A setting saved while this login was under way found no session to tell (settings_set
    // pushes to a running one only); the engine has the values read when it was configured.
    let current = state.settings();
    let _ = engine.send(Command::AutoAnswer(current.auto_answer)).await;
    let _ = engine
        .send(Command::AcceptDirectRequests(current.accept_direct_calls))
        .await;
    state.session.set_company_host(Some(&target.domain));
    let mut remote: Vec<Arc<dyn koppla_search::ContactSource>> = Vec::new();
    if let Some((client, _)) = &switch {
        // The directory also says which colleagues are on a call.
        remote.push(Arc::new(crate::on_call::ColleagueSource::new(
            client.clone(),
            Arc::clone(&state.on_call),
        )));
        // Its voicemail number: found by the search box, dialled by "Call voicemail".
        let handle = app.clone();
        remote.push(Arc::new(crate::switch_services::ServicesSource::new(
            client.clone(),
            state.settings().language,
            move |number| crate::voicemail::set_service_number(&handle, number),
        )));
    }
    let switch_features = switch.is_some();
    let echo_number = match &switch {
        Some((client, _)) => echo_number(client).await,
        None => None,
    };
    state.search.set_remote_sources(remote).await;
    let display_name = switch
        .as_ref()
        .map(|(_, me)| me.name.trim().to_string())
        .filter(|name| !name.is_empty());
    if let Some((client, me)) = switch {
        crate::activity::start(app, client, me);
    }
    Ok(SessionView::Online {
        kind: request.kind,
        username,
        display_name,
        registered: true,
        registration_error: None,
        registration_error_code: None,
        switch_features,
        echo_number,
        password_not_saved: None,
    })
}

/// The code of a login the user cancelled: the form comes back without an error message.
const CANCELLED: &str = "cancelled";

fn cancelled_error() -> UiError {
    UiError::new("cancelled", "the login was cancelled")
}

/// Resolves when the login is cancelled, or when nobody can cancel it any more (its sender is
/// gone because a newer login replaced it).
async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    let _ = cancel.wait_for(|cancelled| *cancelled).await;
}

/// Runs `step` unless the login is cancelled first; the step is dropped then (an HTTP request
/// in flight is simply abandoned).
async fn until_cancelled<T>(
    cancel: &mut watch::Receiver<bool>,
    step: impl std::future::Future<Output = T>,
) -> UiResult<T> {
    tokio::select! {
        biased;
        () = cancelled(cancel) => Err(cancelled_error()),
        out = step => Ok(out),
    }
}

/// Waits for the engine's first registration result, at most `limit`, unless cancelled.
async fn registration_outcome(
    first: oneshot::Receiver<Result<(), String>>,
    cancel: &mut watch::Receiver<bool>,
    limit: Duration,
) -> UiResult<()> {
    match until_cancelled(cancel, tokio::time::timeout(limit, first)).await? {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(reason))) => Err(registration_error(&reason)),
        Ok(Err(_)) => Err(UiError::new(
            "registration_failed",
            "the call engine stopped",
        )),
        Err(_) => Err(UiError::new(
            "registration_failed",
            "the server did not answer",
        )),
    }
}

/// The switch's echo-test number, for the start page's "call it to test your sound" hint.
async fn echo_number(client: &SwitchClient) -> Option<String> {
    match tokio::time::timeout(SERVICES_TIMEOUT, client.services()).await {
        Ok(Ok(services)) => crate::switch_services::echo_number(&services),
        Ok(Err(err)) => {
            tracing::info!(%err, "no service list from the switch: no echo-test hint");
            None
        }
        Err(_) => None,
    }
}

/// Sorts the engine's failure reason (its words are a contract, e.g. "wrong password (403)") into
/// an error code the UI has words for in each language.
fn registration_error(reason: &str) -> UiError {
    if reason.contains("password") || reason.contains("401") || reason.contains("403") {
        UiError::new("wrong_password", reason)
    } else if is_unreachable(reason) {
        UiError::new("network", reason)
    } else {
        UiError::new("registration_failed", reason)
    }
}

/// The engine lost its flow to the registrar (the switch died or restarted), found nothing
/// listening, or heard no answer: the server cannot be reached, which is not the server
/// refusing us. The engine keeps retrying on its own, so the status bar must say "cannot be
/// reached", not a final failure in English.
fn is_unreachable(reason: &str) -> bool {
    reason == koppla_ua::registration::FLOW_LOST
        || reason.starts_with("cannot reach")
        || reason.contains("(timeout)")
}

async fn pump_events(
    app: AppHandle,
    mut events: mpsc::Receiver<UaEvent>,
    first: oneshot::Sender<Result<(), String>>,
) {
    let mut first = Some(first);
    while let Some(event) = events.recv().await {
        match event {
            UaEvent::Registered { .. } => match first.take() {
                Some(first) => {
                    let _ = first.send(Ok(()));
                }
                None => update_online(&app, true, None),
            },
            UaEvent::RegistrationFailed { reason } => match first.take() {
                Some(first) => {
                    let _ = first.send(Err(reason));
                }
                None => update_online(&app, false, Some(reason)),
            },
            UaEvent::Incoming {
                call,
                from,
                name,
                via,
                recall,
                ..
            } => crate::calls::incoming(&app, call, from, name, via, recall).await,
            UaEvent::CallState {
                call,
                state,
                reason,
            } => crate::calls::state_changed(&app, call, state, reason).await,
            UaEvent::RecordingStarted { call, path } => {
                crate::recordings::started(&app, call, path).await;
            }
            UaEvent::RecordingStopped { call, .. } => crate::recordings::stopped(&app, call),
            UaEvent::RecordingFailed { call, reason } => {
                crate::recordings::failed(&app, call, reason);
            }
            UaEvent::TransferFailed { call, status } => {
                tracing::warn!(call, ?status, "transfer failed");
                let detail = status.map_or("no answer".to_string(), |s| format!("SIP {s}"));
                let notice = crate::errors::UiError::new(
                    "transfer_failed",
                    format!("the transfer of call {call} failed ({detail})"),
                );
                let _ = app.emit(crate::recordings::NOTICE_EVENT, notice);
            }
            UaEvent::MessageWaiting {
                new, old, account, ..
            } => crate::voicemail::waiting(&app, new, old, account),
            UaEvent::Error { message } => tracing::warn!(%message, "call engine error"),
            _ => {}
        }
    }
}

async fn stop_active(app: &AppHandle) {
    let state = app.state::<AppState>();
    crate::activity::stop(app).await;
    crate::voicemail::clear(app);
    let active = state.session.active.lock().await.take();
    state.session.set_company_host(None);
    if let Some(active) = active {
        // Quit hangs up calls and unregisters before the engine stops.
        let _ = active.commands.send(Command::Quit).await;
        let _ = tokio::time::timeout(Duration::from_secs(4), active.task).await;
    }
    {
        let mut book = state.calls();
        book.clear();
        state.placements.clear();
        state.audio.bridge().clear();
        crate::calls::emit_calls(app, &book);
    }
    state.search.set_remote_sources(Vec::new()).await;
}

async fn logged_out_view(app: &AppHandle, error: Option<&UiError>) -> SessionView {
    let last = load_last(app).await;
    SessionView::LoggedOut {
        error: error.map(|e| e.message.clone()),
        error_code: error.map(|e| e.code.clone()),
        last_username: last.as_ref().map(|l| l.username.clone()),
        last_kind: last.map(|l| l.kind),
    }
}

async fn load_last(app: &AppHandle) -> Option<LastAccount> {
    let state = app.state::<AppState>();
    state
        .store
        .get_setting::<LastAccount>(LAST_ACCOUNT_KEY)
        .await
        .ok()
        .flatten()
}

fn keychain_account(last: &LastAccount) -> String {
    format!(
        "{:?}:{}@{}",
        last.kind,
        last.username,
        last.server.as_deref().unwrap_or("builtin")
    )
}

/// The password "stay logged in" keeps for the last account, for Diagnostics to remove from
/// what it collects. None when none is kept or the keychain cannot be read.
pub async fn saved_password(app: &AppHandle) -> Option<String> {
    let last = load_last(app).await?;
    crate::secrets::load_password(&keychain_account(&last))
        .ok()
        .flatten()
}

#[tauri::command]
pub async fn session_get(app: AppHandle) -> SessionView {
    let state = app.state::<AppState>();
    let has_view = state
        .session
        .view
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_some();
    if has_view {
        state.session.view()
    } else {
        logged_out_view(&app, None).await
    }
}

#[tauri::command]
pub async fn login(app: AppHandle, request: LoginRequest) -> UiResult<SessionView> {
    stop_active(&app).await;
    let (cancel_tx, cancel) = watch::channel(false);
    // A newer login drops the older attempt's sender, which cancels that attempt.
    *attempt_slot(&app) = Some(cancel_tx);
    set_view(
        &app,
        SessionView::Connecting {
            username: request.username.trim().to_string(),
        },
    );
    let outcome = connect(&app, &request, cancel.clone()).await;
    {
        // Only this attempt's own sender is removed; a newer login's stays.
        let mut slot = attempt_slot(&app);
        if slot
            .as_ref()
            .is_some_and(|tx| tx.subscribe().same_channel(&cancel))
        {
            *slot = None;
        }
    }
    match outcome {
        Ok(mut view) => {
            if let SessionView::Online {
                username,
                password_not_saved,
                ..
            } = &mut view
            {
                *password_not_saved = remember(&app, &request, username).await;
            }
            set_view(&app, view.clone());
            Ok(view)
        }
        Err(err) => {
            let shown = (err.code != CANCELLED).then_some(&err);
            let view = logged_out_view(&app, shown).await;
            set_view(&app, view);
            Err(err)
        }
    }
}

fn attempt_slot(app: &AppHandle) -> std::sync::MutexGuard<'_, Option<watch::Sender<bool>>> {
    app.state::<AppState>()
        .inner()
        .session
        .attempt
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Cancel on the "Connecting…" view: the login under way stops (its call engine quits, so it
/// stops retrying the server) and answers "cancelled"; the form comes back. Nothing to do when
/// no login is under way.
#[tauri::command]
pub fn login_cancel(app: AppHandle) {
    if let Some(attempt) = attempt_slot(&app).as_ref() {
        tracing::info!("login cancelled by the user");
        let _ = attempt.send(true);
    }
}

/// Remembers the account for the next start under the name it logged in as (the switch's
/// stored form), and keeps or forgets its password in the keychain. Answers why "stay logged
/// in" could not keep the password, for the start page to say.
async fn remember(app: &AppHandle, request: &LoginRequest, username: &str) -> Option<String> {
    let state = app.state::<AppState>();
    let last = LastAccount {
        kind: request.kind,
        server: request
            .server
            .clone()
            .filter(|_| request.kind != AccountKind::Builtin),
        username: username.to_string(),
        transport: request.transport.clone(),
    };
    if let Err(err) = state.store.set_setting(LAST_ACCOUNT_KEY, &last).await {
        tracing::warn!(%err, "could not remember the account");
    }
    let key = keychain_account(&last);
    let kept = if request.stay_logged_in {
        crate::secrets::store_password(&key, &request.password)
    } else {
        crate::secrets::forget_password(&key)
    };
    keychain_failure(request.stay_logged_in, kept)
}

/// What the user must hear about the keychain after logging in. Without one (Linux without a
/// keyring service, a locked or refused keychain) "stay logged in" cannot keep its promise: the
/// login stands, but the next start will ask for the password, and saying so beats a silent
/// surprise. It is a note on the start page, not an error notice: nothing failed that the user
/// must act on now. Forgetting a password that cannot be reached is only logged: nothing was
/// promised.
pub(crate) fn keychain_failure(
    stay_logged_in: bool,
    kept: Result<(), crate::secrets::SecretError>,
) -> Option<String> {
    let err = kept.err()?;
    tracing::warn!(%err, "keychain unavailable; the password is asked for next time");
    stay_logged_in.then(|| err.to_string())
}

#[tauri::command]
pub async fn logout(app: AppHandle) -> SessionView {
    stop_active(&app).await;
    if let Some(last) = load_last(&app).await {
        if let Err(err) = crate::secrets::forget_password(&keychain_account(&last)) {
            tracing::warn!(%err, "could not remove the saved password");
        }
    }
    let view = logged_out_view(&app, None).await;
    set_view(&app, view.clone());
    view
}

/// "Stay logged in": log in again at start with the password from the keychain.
pub async fn auto_login(app: AppHandle) {
    let state = app.state::<AppState>();
    if !state.settings().stay_logged_in {
        return;
    }
    let Some(last) = load_last(&app).await else {
        return;
    };
    let password = match crate::secrets::load_password(&keychain_account(&last)) {
        Ok(Some(password)) => password,
        Ok(None) => return,
        Err(err) => {
            tracing::warn!(%err, "keychain unavailable; not logging in automatically");
            return;
        }
    };
    let request = LoginRequest {
        kind: last.kind,
        server: last.server,
        username: last.username,
        password,
        transport: last.transport,
        stay_logged_in: true,
    };
    if let Err(err) = login(app, request).await {
        tracing::warn!(code = %err.code, "automatic login failed");
    }
}

/// The running engine's command channel and the domain for numbers dialled without one.
pub(crate) async fn commands_and_domain(
    state: &AppState,
) -> UiResult<(mpsc::Sender<Command>, String)> {
    let active = state.session.active.lock().await;
    let active = active
        .as_ref()
        .ok_or_else(|| UiError::new("not_logged_in", "log in before calling"))?;
    Ok((active.commands.clone(), active.domain.clone()))
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;

//! My activity on Koppla Växel: shown on the start page, changed through the picker, and kept
//! live from the switch's event stream so a change made in another client appears here too.
//! Colleagues' changes reload the directory so search results show their activity.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{ActivityChange, ActivityOptionView, ActivityView, SearchResultsView};
use crate::switch_api::{
    Activity, ActivityOption, Me, MissedCall, ParkedCall, ParkedList, QueueStatus, SwitchClient,
    Voicemail,
};
use crate::switch_feed::{Feed, FeedAction};
use crate::AppState;

pub const ACTIVITY_EVENT: &str = "activity-changed";
/// Search results may have changed (a colleague's activity); the UI runs its query again.
pub const SEARCH_EVENT: &str = "search-changed";
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(2);

impl From<Activity> for ActivityView {
    fn from(a: Activity) -> ActivityView {
        ActivityView {
            id: a.id,
            label: a.label,
            color: a.color,
            reachable: a.reachable,
            until: a.until,
            note: a.note,
        }
    }
}

impl From<ActivityOption> for ActivityOptionView {
    fn from(o: ActivityOption) -> ActivityOptionView {
        ActivityOptionView {
            id: o.id,
            label: o.label,
            label_sv: o.label_sv,
            color: o.color,
            reachable: o.reachable,
        }
    }
}

struct Linked {
    client: SwitchClient,
    username: String,
    current: ActivityView,
    options: Option<Vec<ActivityOptionView>>,
    feed: tauri::async_runtime::JoinHandle<()>,
}

/// The switch behind the session, when there is one (none for plain SIP accounts).
#[derive(Default)]
pub struct SwitchLink {
    linked: Mutex<Option<Linked>>,
}

impl SwitchLink {
    fn with<T>(&self, f: impl FnOnce(&mut Option<Linked>) -> T) -> T {
        f(&mut self.linked.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn client(&self) -> UiResult<SwitchClient> {
        self.with(|linked| linked.as_ref().map(|l| l.client.clone()))
            .ok_or_else(|| UiError::new("no_switch", "this needs Koppla Växel"))
    }

    /// My user name on the switch, when there is one.
    pub fn username(&self) -> Option<String> {
        self.with(|linked| linked.as_ref().map(|l| l.username.clone()))
    }

    /// The switch's address and my user name there, naming whose lists these are.
    pub fn account(&self) -> Option<(String, String)> {
        self.with(|linked| {
            linked
                .as_ref()
                .map(|l| (l.client.base().to_string(), l.username.clone()))
        })
    }
}

/// The switch's directory carries its (English) activity labels; in Swedish, show the
/// configured Swedish label instead.
pub fn localise_presence(
    results: &mut SearchResultsView,
    options: &[ActivityOptionView],
    language: &str,
) {
    if language != "sv" {
        return;
    }
    for presence in results
        .hits
        .iter_mut()
        .filter_map(|hit| hit.presence.as_mut())
    {
        let swedish = options
            .iter()
            .find(|option| option.label == presence.label)
            .and_then(|option| option.label_sv.clone());
        if let Some(swedish) = swedish {
            presence.label = swedish;
        }
    }
}

impl SwitchLink {
    /// My activity and the activity list, when there is a switch.
    pub fn snapshot(&self) -> Option<(ActivityView, Vec<ActivityOptionView>)> {
        self.with(|linked| {
            linked
                .as_ref()
                .map(|l| (l.current.clone(), l.options.clone().unwrap_or_default()))
        })
    }

    /// See [`localise_presence`]; without a switch (or before its list arrived) nothing changes.
    pub fn localise(&self, results: &mut SearchResultsView, language: &str) {
        self.with(|linked| {
            if let Some(options) = linked.as_ref().and_then(|l| l.options.as_deref()) {
                localise_presence(results, options, language);
            }
        });
    }
}

/// What the feed hands to the app.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedOutput {
    Own(Activity),
    DirectoryChanged,
    Queue(QueueStatus),
    /// The switch's list of calls it could not put through to me.
    Missed(Vec<MissedCall>),
    /// The parked calls changed (from the stream).
    Parked(Vec<ParkedCall>),
    /// The parked calls as fetched, with what I may do with them.
    ParkedList(ParkedList),
    /// A colleague started or stopped being on a call.
    OnCall {
        username: String,
        on_call: bool,
    },
    /// My voicemail messages as fetched.
    Voicemails(Vec<Voicemail>),
}

/// Starts following the switch for this session.
pub fn start(app: &AppHandle, client: SwitchClient, me: Me) {
    let state = app.state::<AppState>();
    let (tx, mut rx) = mpsc::channel(16);
    let feed = tauri::async_runtime::spawn(run_feed(client.clone(), me.username.clone(), tx));
    let handle = app.clone();
    // Ends by itself when the feed is stopped and its sender dropped.
    tauri::async_runtime::spawn(async move {
        // The list gives search results their Swedish labels; fetch it before the first search.
        if let Err(err) = activity_options(handle.clone()).await {
            tracing::warn!(code = %err.code, "could not fetch the activity list");
        }
        let _ = handle.emit(SEARCH_EVENT, ());
        crate::tray::refresh(&handle);
        while let Some(output) = rx.recv().await {
            apply(&handle, output).await;
        }
    });
    let current = ActivityView::from(me.activity);
    let previous = state.switch.with(|linked| {
        linked.replace(Linked {
            client,
            username: me.username,
            current: current.clone(),
            options: None,
            feed,
        })
    });
    if let Some(previous) = previous {
        previous.feed.abort();
    }
    let _ = app.emit(ACTIVITY_EVENT, current);
}

/// Stops following the switch and ends the API session there.
pub async fn stop(app: &AppHandle) {
    let linked = app.state::<AppState>().switch.with(Option::take);
    if let Some(linked) = linked {
        linked.feed.abort();
        crate::tray::refresh(app);
        match tokio::time::timeout(LOGOUT_TIMEOUT, linked.client.logout()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::info!(%err, "switch logout failed"),
            Err(_) => tracing::info!("switch logout timed out"),
        }
    }
}

async fn apply(app: &AppHandle, output: FeedOutput) {
    let state = app.state::<AppState>();
    match output {
        FeedOutput::Own(activity) => show_own(app, ActivityView::from(activity)),
        FeedOutput::DirectoryChanged => {
            state.search.refresh().await;
            let _ = app.emit(SEARCH_EVENT, ());
        }
        FeedOutput::Queue(queue) => crate::queues::show(app, queue),
        FeedOutput::Missed(calls) => crate::missed_import::merge(app, calls).await,
        FeedOutput::Parked(calls) => crate::parking::show(app, calls),
        FeedOutput::ParkedList(list) => crate::parking::replace(app, list),
        FeedOutput::OnCall { username, on_call } => {
            if state.on_call.set(&username, on_call) {
                let _ = app.emit(SEARCH_EVENT, ());
            }
        }
        FeedOutput::Voicemails(list) => crate::voicemail::replace(app, list),
    }
}

fn show_own(app: &AppHandle, view: ActivityView) {
    let changed = app.state::<AppState>().switch.with(|linked| match linked {
        Some(linked) if linked.current != view => {
            linked.current = view.clone();
            true
        }
        _ => false,
    });
    if changed {
        let _ = app.emit(ACTIVITY_EVENT, view);
        crate::tray::refresh(app);
    }
}

/// Seconds until an RFC 3339 end time, for reloading my activity when the switch reverts it.
fn expires_in(until: Option<&str>) -> Option<Duration> {
    let at = koppla_vaxel::activity::parse_rfc3339(until?)?;
    let left = at.saturating_sub(koppla_vaxel::activity::unix_now());
    Some(Duration::from_secs(u64::try_from(left).unwrap_or(0)))
}

/// Follows `/api/v1/events` until `out` is closed, reconnecting as the feed decides.
pub async fn run_feed(client: SwitchClient, me: String, out: mpsc::Sender<FeedOutput>) {
    let mut feed = Feed::new(me);
    loop {
        match tokio_tungstenite::connect_async(client.events_url()).await {
            Ok((stream, _)) => {
                tracing::info!("following the switch's events");
                let actions = feed.connected(Instant::now());
                if !perform_all(&client, &mut feed, actions, &out).await
                    || !follow(&client, &mut feed, stream, &out).await
                {
                    return;
                }
            }
            // The error names the cause, never the address (which holds the token).
            Err(err) => tracing::info!(%err, "switch event stream unavailable"),
        }
        let retry_at = feed.disconnected(Instant::now());
        tokio::select! {
            () = tokio::time::sleep_until(retry_at.into()) => {}
            () = out.closed() => return,
        }
    }
}

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads one connection; false when the app side has gone and the feed should end.
async fn follow(
    client: &SwitchClient,
    feed: &mut Feed,
    mut stream: Stream,
    out: &mpsc::Sender<FeedOutput>,
) -> bool {
    loop {
        let deadline = feed.deadline();
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let actions = tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => feed.frame(&text, Instant::now()),
                Some(Ok(Message::Close(_))) | None => return true,
                Some(Err(err)) => {
                    tracing::info!(%err, "switch event stream broke");
                    return true;
                }
                Some(Ok(_)) => Vec::new(),
            },
            () = timer => std::iter::from_fn(|| feed.poll(Instant::now())).collect(),
            () = out.closed() => return false,
        };
        if !perform_all(client, feed, actions, out).await {
            return false;
        }
    }
}

async fn perform_all(
    client: &SwitchClient,
    feed: &mut Feed,
    actions: Vec<FeedAction>,
    out: &mpsc::Sender<FeedOutput>,
) -> bool {
    for action in actions {
        let output = match action {
            FeedAction::ShowOwn(activity) => activity,
            FeedAction::ReloadOwn => match client.me().await {
                Ok(me) => me.activity,
                Err(err) => {
                    tracing::warn!(%err, "could not fetch my activity");
                    continue;
                }
            },
            FeedAction::ReloadDirectory => {
                if out.send(FeedOutput::DirectoryChanged).await.is_err() {
                    return false;
                }
                continue;
            }
            FeedAction::ShowQueue(queue) => {
                if out.send(FeedOutput::Queue(queue)).await.is_err() {
                    return false;
                }
                continue;
            }
            FeedAction::FetchMissed => {
                match client.missed_calls().await {
                    Ok(calls) => {
                        if out.send(FeedOutput::Missed(calls)).await.is_err() {
                            return false;
                        }
                    }
                    Err(err) => tracing::info!(%err, "could not fetch my missed calls"),
                }
                continue;
            }
            FeedAction::ShowOnCall { username, on_call } => {
                if out
                    .send(FeedOutput::OnCall { username, on_call })
                    .await
                    .is_err()
                {
                    return false;
                }
                continue;
            }
            FeedAction::ShowParked(calls) => {
                if out.send(FeedOutput::Parked(calls)).await.is_err() {
                    return false;
                }
                continue;
            }
            FeedAction::ReloadParked => {
                // An older switch has no parking: nothing to show.
                match client.parked().await {
                    Ok(list) => {
                        if out.send(FeedOutput::ParkedList(list)).await.is_err() {
                            return false;
                        }
                    }
                    Err(err) => tracing::debug!(%err, "could not fetch the parked calls"),
                }
                continue;
            }
            FeedAction::ReloadVoicemail => {
                // An older switch or one without voicemail answers an error: nothing to show.
                match client.voicemails().await {
                    Ok(list) => {
                        if out.send(FeedOutput::Voicemails(list)).await.is_err() {
                            return false;
                        }
                    }
                    Err(err) => tracing::debug!(%err, "could not fetch my voicemail"),
                }
                continue;
            }
            FeedAction::ReloadQueues => {
                // A switch without queues (or an older one) answers an error: nothing to show.
                let queues = client.queues().await.unwrap_or_else(|err| {
                    tracing::debug!(%err, "could not fetch the queues");
                    Vec::new()
                });
                for queue in queues {
                    if out.send(FeedOutput::Queue(queue)).await.is_err() {
                        return false;
                    }
                }
                continue;
            }
        };
        feed.own_expires(expires_in(output.until.as_deref()), Instant::now());
        if out.send(FeedOutput::Own(output)).await.is_err() {
            return false;
        }
    }
    true
}

#[tauri::command]
pub fn activity_current(app: AppHandle) -> Option<ActivityView> {
    app.state::<AppState>()
        .switch
        .with(|linked| linked.as_ref().map(|l| l.current.clone()))
}

/// The switch's activity list; fetched once per session.
#[tauri::command]
pub async fn activity_options(app: AppHandle) -> UiResult<Vec<ActivityOptionView>> {
    let state = app.state::<AppState>();
    let cached = state
        .switch
        .with(|linked| linked.as_ref().and_then(|l| l.options.clone()));
    if let Some(options) = cached {
        return Ok(options);
    }
    let client = state.switch.client()?;
    let options: Vec<ActivityOptionView> = client
        .activities()
        .await?
        .into_iter()
        .map(ActivityOptionView::from)
        .collect();
    state.switch.with(|linked| {
        if let Some(linked) = linked {
            linked.options = Some(options.clone());
        }
    });
    Ok(options)
}

/// Saves my activity on the switch, which tells everyone watching (this app included).
#[tauri::command]
pub async fn activity_set(app: AppHandle, change: ActivityChange) -> UiResult<ActivityView> {
    let client = app.state::<AppState>().switch.client()?;
    let until = change
        .until
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let note = change
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let view = ActivityView::from(client.set_activity(&change.id, until, note).await?);
    show_own(&app, view.clone());
    Ok(view)
}

#[cfg(test)]
#[path = "activity_tests.rs"]
mod tests;

//! The activity client and feed against a real Koppla Växel on 127.0.0.1.

use super::*;
use crate::switch_api::SwitchApiError;
use koppla_vaxel::model::UserRecord;
use koppla_vaxel::{Config, Vaxel, VaxelHandle};

const PASSWORD: &str = "hemligt1";

async fn switch_with(usernames: &[&str]) -> VaxelHandle {
    let handle = Vaxel::start(Config::ephemeral())
        .await
        .expect("the switch starts");
    for username in usernames {
        let user = UserRecord {
            username: (*username).to_string(),
            name: format!("{username} Testsson"),
            ..UserRecord::default()
        };
        handle
            .upsert_user(&user, Some(PASSWORD.into()))
            .await
            .expect("user created");
    }
    handle
}

async fn log_in(handle: &VaxelHandle, username: &str) -> (SwitchClient, Me) {
    SwitchClient::login(&format!("http://{}", handle.api_addr), username, PASSWORD)
        .await
        .expect("login")
}

fn in_one_hour() -> String {
    koppla_vaxel::activity::format_unix(koppla_vaxel::activity::unix_now() + 3600)
}

#[tokio::test]
async fn login_lists_activities_and_saves_mine() {
    let handle = switch_with(&["anna"]).await;
    let (client, me) = log_in(&handle, "anna").await;
    assert_eq!(me.username, "anna");
    assert_eq!(me.name, "anna Testsson");
    assert!(me.activity.reachable, "a new user starts reachable");

    let options = client.activities().await.expect("activity list");
    let lunch = options
        .iter()
        .find(|o| o.id == "lunch")
        .expect("lunch is configured");
    assert!(!lunch.reachable);
    assert_eq!(
        options
            .iter()
            .find(|o| o.id == "meeting")
            .and_then(|o| o.label_sv.as_deref()),
        Some("Möte")
    );

    let until = in_one_hour();
    let saved = client
        .set_activity("lunch", Some(&until), Some("Tillbaka 13"))
        .await
        .expect("activity saved");
    assert_eq!(saved.id, "lunch");
    assert_eq!(saved.note.as_deref(), Some("Tillbaka 13"));
    assert!(saved.until.is_some());
    assert_eq!(client.me().await.expect("me").activity, saved);

    let refused = client.set_activity("sleeping", None, None).await;
    assert!(
        matches!(&refused, Err(SwitchApiError::Rejected(why)) if why.contains("sleeping")),
        "{refused:?}"
    );
    let past = koppla_vaxel::activity::format_unix(koppla_vaxel::activity::unix_now() - 60);
    assert!(matches!(
        client.set_activity("lunch", Some(&past), None).await,
        Err(SwitchApiError::Rejected(_))
    ));

    client.logout().await.expect("logout");
    assert!(matches!(
        client.me().await,
        Err(SwitchApiError::Unauthorized)
    ));
    handle.shutdown().await;
}

#[tokio::test]
async fn wrong_password_is_a_bad_login() {
    let handle = switch_with(&["anna"]).await;
    let wrong = SwitchClient::login(&format!("http://{}", handle.api_addr), "anna", "fel").await;
    assert!(matches!(wrong, Err(SwitchApiError::BadLogin)), "{wrong:?}");
    handle.shutdown().await;
}

async fn next_output(rx: &mut mpsc::Receiver<FeedOutput>, within: Duration) -> Option<FeedOutput> {
    tokio::time::timeout(within, rx.recv()).await.ok().flatten()
}

#[tokio::test]
async fn changes_made_in_other_clients_reach_the_feed() {
    let handle = switch_with(&["anna", "bo"]).await;
    let (app_client, me) = log_in(&handle, "anna").await;
    let (other_client, _) = log_in(&handle, "anna").await;
    let (colleague, _) = log_in(&handle, "bo").await;
    let (tx, mut rx) = mpsc::channel(16);
    let feed = tokio::spawn(run_feed(app_client, me.username, tx));

    // A colleague's change proves the stream is connected: it arrives as one directory reload.
    let mut connected = false;
    for _ in 0..20 {
        colleague
            .set_activity("meeting", None, Some("Styrelsemöte"))
            .await
            .expect("colleague's activity saved");
        if next_output(&mut rx, Duration::from_millis(800)).await
            == Some(FeedOutput::DirectoryChanged)
        {
            connected = true;
            break;
        }
    }
    assert!(connected, "the feed never reported the colleague's change");

    let until = in_one_hour();
    other_client
        .set_activity("vacation", Some(&until), Some("Åter måndag"))
        .await
        .expect("activity saved in the other client");
    let mut own = None;
    while let Some(output) = next_output(&mut rx, Duration::from_secs(5)).await {
        if let FeedOutput::Own(activity) = output {
            own = Some(activity);
            break;
        }
    }
    let own = own.expect("my change from the other client arrived");
    assert_eq!(own.id, "vacation");
    assert_eq!(own.note.as_deref(), Some("Åter måndag"));
    assert!(own.until.is_some());

    // The app side going away ends the feed.
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), feed)
        .await
        .expect("the feed ends when nobody listens")
        .expect("the feed task did not panic");
    handle.shutdown().await;
}

#[tokio::test]
async fn a_feed_without_a_switch_keeps_retrying_quietly() {
    // Nothing listens on this port: the feed waits and retries instead of failing or spinning.
    let handle = switch_with(&["anna"]).await;
    let (client, me) = log_in(&handle, "anna").await;
    handle.shutdown().await;
    let (tx, mut rx) = mpsc::channel(16);
    let feed = tokio::spawn(run_feed(client, me.username, tx));
    assert_eq!(
        next_output(&mut rx, Duration::from_millis(1500)).await,
        None
    );
    assert!(!feed.is_finished());
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), feed)
        .await
        .expect("the feed ends when nobody listens")
        .expect("the feed task did not panic");
}

#[test]
fn end_times_become_waits() {
    assert_eq!(expires_in(None), None);
    assert_eq!(expires_in(Some("not a time")), None);
    let past = koppla_vaxel::activity::format_unix(koppla_vaxel::activity::unix_now() - 60);
    assert_eq!(expires_in(Some(&past)), Some(Duration::ZERO));
    let left = expires_in(Some(&in_one_hour())).expect("a wait");
    assert!(left > Duration::from_secs(3590) && left <= Duration::from_secs(3600));
}

#[test]
fn search_results_get_the_swedish_activity_label() {
    use crate::ipc_types::{PresenceView, SearchHitView};
    let hit = |label: &str| SearchHitView {
        entry_id: "switch:1".into(),
        name: "Bo Ek".into(),
        subtitle: String::new(),
        source: "colleague".into(),
        kind: "normal".into(),
        field: "name".into(),
        field_text: "Bo Ek".into(),
        spans: Vec::new(),
        number: Some("3267".into()),
        emails: Vec::new(),
        presence: Some(PresenceView {
            label: label.into(),
            color: Some("#c62828".into()),
            reachable: false,
            until: None,
            note: None,
            on_call: false,
        }),
    };
    let options = vec![ActivityOptionView {
        id: "meeting".into(),
        label: "Meeting".into(),
        label_sv: Some("Möte".into()),
        color: "#c62828".into(),
        reachable: false,
    }];
    let results = || SearchResultsView {
        query: "bo".into(),
        hits: vec![hit("Meeting"), hit("Training")],
        total: 2,
    };
    let label =
        |r: &SearchResultsView, i: usize| r.hits[i].presence.as_ref().map(|p| p.label.clone());
    let mut swedish = results();
    localise_presence(&mut swedish, &options, "sv");
    assert_eq!(label(&swedish, 0).as_deref(), Some("Möte"));
    assert_eq!(
        label(&swedish, 1).as_deref(),
        Some("Training"),
        "unknown labels stay"
    );
    let mut english = results();
    localise_presence(&mut english, &options, "en");
    assert_eq!(label(&english, 0).as_deref(), Some("Meeting"));
}

/// Calls the switch could not put through while the app was away reach it at login, through
/// the feed, and merge into the history exactly once, however often the list is fetched.
#[tokio::test]
async fn calls_missed_while_away_arrive_at_login_and_merge_once() {
    let handle = switch_with(&["anna"]).await;
    let (anna, _, _) = handle
        .state
        .store
        .user_by_username("anna")
        .await
        .expect("store")
        .expect("anna exists");
    let now = koppla_vaxel::activity::unix_now();
    for (caller, ago) in [("bo", 600), ("0701234567", 300)] {
        handle
            .state
            .store
            .add_missed_call(anna.id, caller, now - ago)
            .await
            .expect("missed call stored");
    }

    let (client, me) = log_in(&handle, "anna").await;
    let base = client.base().to_string();
    let (tx, mut rx) = mpsc::channel(16);
    let feed = tokio::spawn(run_feed(client, me.username, tx));
    let mut listed = None;
    while let Some(output) = next_output(&mut rx, Duration::from_secs(5)).await {
        if let FeedOutput::Missed(calls) = output {
            listed = Some(calls);
            break;
        }
    }
    feed.abort();
    let listed = listed.expect("the feed fetched my missed calls at connect");
    assert_eq!(
        listed.iter().map(|c| c.caller.as_str()).collect::<Vec<_>>(),
        ["0701234567", "bo"],
        "newest first"
    );

    let store = koppla_store::Store::open_in_memory()
        .await
        .expect("app store");
    for _ in 0..2 {
        for call in &listed {
            let foreign = crate::missed_import::to_foreign(&base, "anna", call).expect("time");
            store.import_missed(&foreign).await.expect("merged");
        }
    }
    let history = store
        .list_calls(
            koppla_store::CallFilter::Missed,
            koppla_store::Page::first(10),
        )
        .await
        .expect("history");
    assert_eq!(history.len(), 2, "each call once");
    assert_eq!(history[0].remote_number, "0701234567");
    assert_eq!(history[0].started_at_ms, (now - 300) * 1000);
    assert_eq!(store.missed_unseen_count().await.expect("count"), 2);
    handle.shutdown().await;
}

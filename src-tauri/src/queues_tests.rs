//! The queue client and feed against a real Koppla Växel on 127.0.0.1.

use std::time::Duration;

use tokio::sync::mpsc;

use super::*;
use crate::activity::{run_feed, FeedOutput};
use crate::switch_api::{SwitchApiError, SwitchClient};
use koppla_vaxel::config::{Config, UserConfig};
use koppla_vaxel::queue_config::{Overflow, QueueConfig, Strategy};
use koppla_vaxel::{Vaxel, VaxelHandle};

const PASSWORD_VAR: &str = "KOPPLA_APP_TEST_QUEUE_PASSWORD";
const PASSWORD: &str = "hemligt1";

async fn switch_with_support_queue() -> VaxelHandle {
    // Every test sets the same value, so parallel tests cannot see a different one.
    std::env::set_var(PASSWORD_VAR, PASSWORD);
    let user = |username: &str, short: &str| UserConfig {
        username: username.into(),
        name: username.into(),
        short_number: Some(short.into()),
        password_env: Some(PASSWORD_VAR.into()),
        ..UserConfig::default()
    };
    let mut config = Config::ephemeral();
    config.users = vec![
        user("anna", "1001"),
        user("bo", "1002"),
        user("cecilia", "1003"),
    ];
    config.queues = vec![QueueConfig {
        id: "support".into(),
        number: "7000".into(),
        name: "Support".into(),
        members: vec!["anna".into(), "bo".into()],
        strategy: Strategy::RingAll,
        agent_ring_secs: 15,
        max_wait_secs: 300,
        overflow: Overflow::Busy,
        announcement: None,
        hold_music: None,
    }];
    Vaxel::start(config).await.expect("the switch starts")
}

async fn log_in(handle: &VaxelHandle, username: &str) -> SwitchClient {
    SwitchClient::login(&format!("http://{}", handle.api_addr), username, PASSWORD)
        .await
        .expect("login")
        .0
}

#[tokio::test]
async fn members_log_in_and_out_and_others_are_refused() {
    let handle = switch_with_support_queue().await;
    let anna = log_in(&handle, "anna").await;

    let queues = anna.queues().await.expect("queue list");
    let [support] = queues.as_slice() else {
        panic!("expected one queue, got {queues:?}");
    };
    let shown = view(support.clone(), "anna");
    assert_eq!(
        (shown.name.as_str(), shown.number.as_str()),
        ("Support", "7000")
    );
    assert!(shown.me_logged_in, "members start logged in");
    assert_eq!(shown.waiting, 0);
    assert_eq!(shown.oldest_waiting_since, None);

    let out = anna.queue_login("support", false).await.expect("logout");
    assert!(!view(out.clone(), "anna").me_logged_in);
    assert!(view(out, "bo").me_logged_in, "bo stays logged in");
    let back = anna.queue_login("support", true).await.expect("login");
    assert!(view(back, "anna").me_logged_in);

    let cecilia = log_in(&handle, "cecilia").await;
    let refused = cecilia.queue_login("support", true).await;
    assert!(
        matches!(refused, Err(SwitchApiError::NotQueueMember(ref id)) if id == "support"),
        "{refused:?}"
    );
    let unknown = anna.queue_login("sales", true).await;
    assert!(
        matches!(unknown, Err(SwitchApiError::UnknownQueue(_))),
        "{unknown:?}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_colleagues_queue_login_reaches_the_feed() {
    let handle = switch_with_support_queue().await;
    let anna = log_in(&handle, "anna").await;
    let bo = log_in(&handle, "bo").await;
    let (tx, mut rx) = mpsc::channel(16);
    let feed = tokio::spawn(run_feed(anna, "anna".into(), tx));

    // Until the stream is connected a change is missed, so repeat it until one arrives.
    let mut seen = None;
    'attempts: for attempt in 0..20 {
        let login = attempt % 2 == 1;
        bo.queue_login("support", login).await.expect("bo's change");
        while let Ok(Some(output)) =
            tokio::time::timeout(Duration::from_millis(800), rx.recv()).await
        {
            if let FeedOutput::Queue(queue) = output {
                seen = Some((login, queue));
                break 'attempts;
            }
        }
    }
    let (bo_logged_in, queue) = seen.expect("the feed reported bo's queue login");
    assert_eq!(queue.id, "support");
    assert_eq!(view(queue.clone(), "bo").me_logged_in, bo_logged_in);
    assert!(view(queue, "anna").me_logged_in);
    feed.abort();
    handle.shutdown().await;
}

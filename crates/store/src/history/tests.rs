use super::*;
use crate::test_util::temp_store;

fn incoming(at: i64) -> NewCall {
    NewCall {
        direction: Direction::Incoming,
        remote_uri: "sip:bob@example.se".into(),
        remote_number: "+46701234567".into(),
        display_name: "Bob".into(),
        started_at_ms: at,
    }
}

#[tokio::test]
async fn answered_call_progresses_to_ended() {
    let (_dir, store) = temp_store().await;
    let id = store.start_call(&incoming(1_000)).await.unwrap();
    assert_eq!(
        store.get_call(id).await.unwrap().state(),
        CallState::Ringing
    );
    store.call_answered(id, 2_000).await.unwrap();
    assert_eq!(
        store.get_call(id).await.unwrap().state(),
        CallState::Answered
    );
    store.call_ended(id, 9_000, &EndReason::Bye).await.unwrap();
    let rec = store.get_call(id).await.unwrap();
    assert_eq!(rec.state(), CallState::Ended);
    assert_eq!(
        (rec.answered_at_ms, rec.ended_at_ms),
        (Some(2_000), Some(9_000))
    );
    assert_eq!(rec.end_reason, Some(EndReason::Bye));
    assert!(!rec.missed);
    assert!(matches!(
        store.call_ended(id, 10_000, &EndReason::Bye).await,
        Err(StoreError::InvalidState { .. })
    ));
    assert!(matches!(
        store.call_answered(CallId(77), 1).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn unanswered_incoming_is_missed_and_counted_until_seen() {
    let (_dir, store) = temp_store().await;
    let missed = store.start_call(&incoming(1_000)).await.unwrap();
    store
        .call_ended(missed, 5_000, &EndReason::Cancelled)
        .await
        .unwrap();
    let out = store
        .start_call(&NewCall {
            direction: Direction::Outgoing,
            ..incoming(6_000)
        })
        .await
        .unwrap();
    store
        .call_ended(out, 7_000, &EndReason::Busy)
        .await
        .unwrap();

    assert!(store.get_call(missed).await.unwrap().missed);
    assert!(
        !store.get_call(out).await.unwrap().missed,
        "unanswered outgoing call is not missed"
    );
    assert_eq!(store.missed_unseen_count().await.unwrap(), 1);
    let missed_list = store
        .list_calls(CallFilter::Missed, Page::first(10))
        .await
        .unwrap();
    assert_eq!(
        missed_list.iter().map(|c| c.id).collect::<Vec<_>>(),
        [missed]
    );
    store.mark_call_seen(missed).await.unwrap();
    assert_eq!(store.missed_unseen_count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_ring_answered_elsewhere_is_not_missed() {
    let (_dir, store) = temp_store().await;
    let elsewhere = store.start_call(&incoming(1_000)).await.unwrap();
    store
        .call_ended(elsewhere, 4_000, &EndReason::AnsweredElsewhere)
        .await
        .unwrap();
    let rec = store.get_call(elsewhere).await.unwrap();
    assert!(!rec.missed);
    assert_eq!(rec.end_reason, Some(EndReason::AnsweredElsewhere));
    assert_eq!(store.missed_unseen_count().await.unwrap(), 0);
    assert!(store
        .list_calls(CallFilter::Missed, Page::first(10))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        EndReason::parse(EndReason::AnsweredElsewhere.as_str()),
        EndReason::AnsweredElsewhere
    );
}

#[tokio::test]
async fn a_blocked_caller_refused_without_ringing_is_logged_but_not_missed() {
    let (_dir, store) = temp_store().await;
    let blocked = store.start_call(&incoming(1_000)).await.unwrap();
    store
        .call_ended(blocked, 1_000, &EndReason::Blocked)
        .await
        .unwrap();
    let rec = store.get_call(blocked).await.unwrap();
    assert!(
        !rec.missed,
        "no missed-call badge for a caller the user blocked"
    );
    assert_eq!(rec.end_reason, Some(EndReason::Blocked));
    assert_eq!(store.missed_unseen_count().await.unwrap(), 0);
    let all = store
        .list_calls(CallFilter::All, Page::first(10))
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "the attempt is in the history");
    assert_eq!(EndReason::parse("blocked"), EndReason::Blocked);
}

#[tokio::test]
async fn paging_is_newest_first_and_recordings_filter_works() {
    let (_dir, store) = temp_store().await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(store.start_call(&incoming(i * 1000)).await.unwrap());
    }
    store
        .set_recording(ids[3], Path::new("/tmp/rec/3.wav"))
        .await
        .unwrap();
    let page1 = store
        .list_calls(CallFilter::All, Page::first(10))
        .await
        .unwrap();
    let page3 = store
        .list_calls(CallFilter::All, Page::first(10).next().next())
        .await
        .unwrap();
    assert_eq!(page1.len(), 10);
    assert_eq!(page1[0].id, ids[24]);
    assert_eq!(page3.len(), 5);
    assert_eq!(page3[4].id, ids[0]);
    let recs = store
        .list_calls(CallFilter::Recordings, Page::first(10))
        .await
        .unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(
        recs[0].recording_path.as_deref(),
        Some(Path::new("/tmp/rec/3.wav"))
    );
    assert_eq!(store.mark_all_calls_seen().await.unwrap(), 25);
}

#[tokio::test]
async fn unfinished_call_survives_reopen_and_is_closed_as_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let (ringing, talking) = {
        let store = Store::open(&path).await.unwrap();
        let ringing = store.start_call(&incoming(1_000)).await.unwrap();
        let talking = store.start_call(&incoming(2_000)).await.unwrap();
        store.call_answered(talking, 3_000).await.unwrap();
        // Dropped without close(): no checkpoint, no end.
        drop(store);
        (ringing, talking)
    };
    let store = Store::open(&path).await.unwrap();
    assert_eq!(
        store.get_call(ringing).await.unwrap().state(),
        CallState::Ringing
    );
    assert_eq!(
        store.get_call(talking).await.unwrap().state(),
        CallState::Answered
    );
    assert_eq!(store.close_unfinished_calls().await.unwrap(), 2);
    let r = store.get_call(ringing).await.unwrap();
    assert_eq!(r.state(), CallState::Interrupted);
    assert!(r.missed && r.ended_at_ms.is_none());
    assert!(!store.get_call(talking).await.unwrap().missed);
    assert_eq!(store.close_unfinished_calls().await.unwrap(), 0);
}

#[test]
fn unknown_end_reason_round_trips_as_other() {
    for r in [
        EndReason::Bye,
        EndReason::NotFound,
        EndReason::Interrupted,
        EndReason::Other("x-new".into()),
    ] {
        assert_eq!(EndReason::parse(r.as_str()), r);
    }
}

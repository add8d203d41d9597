//! A process killed mid-call must leave its call row behind. The test re-runs this test binary
//! as a child that records a call and then aborts (no destructors, no pool close).

use std::path::Path;
use std::process::Command;

use koppla_store::{CallFilter, CallState, Direction, NewCall, Page, Store};

const CHILD_ENV: &str = "KOPPLA_STORE_CRASH_CHILD_DB";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Child half: only does something when started by `killed_mid_call_row_survives`.
#[test]
fn crash_child() {
    let Ok(db) = std::env::var(CHILD_ENV) else {
        return;
    };
    runtime().block_on(async {
        let store = Store::open(Path::new(&db)).await.expect("open");
        let id = store
            .start_call(&NewCall {
                direction: Direction::Incoming,
                remote_uri: "sip:carl@example.se".into(),
                remote_number: "1234".into(),
                display_name: "Carl".into(),
                started_at_ms: 42,
            })
            .await
            .expect("start");
        store.call_answered(id, 43).await.expect("answer");
        std::process::abort();
    });
}

#[test]
fn killed_mid_call_row_survives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("crash.db");
    let status = Command::new(std::env::current_exe().expect("exe"))
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &db)
        .status()
        .expect("spawn child");
    assert!(!status.success(), "child should have aborted");

    runtime().block_on(async {
        let store = Store::open(&db).await.expect("reopen");
        let calls = store
            .list_calls(CallFilter::All, Page::first(10))
            .await
            .expect("list");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].remote_uri, "sip:carl@example.se");
        assert_eq!(calls[0].state(), CallState::Answered);
        assert_eq!(calls[0].ended_at_ms, None);
        assert_eq!(store.close_unfinished_calls().await.expect("close"), 1);
        assert_eq!(
            store.get_call(calls[0].id).await.expect("get").state(),
            CallState::Interrupted
        );
    });
}

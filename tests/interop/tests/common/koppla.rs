//! Helpers to start koppla agents and baresip peers against the test Kamailio.

use std::path::PathBuf;

use koppla_interop::{AgentOptions, Baresip, BaresipOptions, Codec, KopplaAgent};

use super::{baresip_input, koppla_input, password, Env};

/// A registered koppla agent for `user`.
pub fn agent(env: &Env, user: &str, configure: impl FnOnce(&mut AgentOptions)) -> KopplaAgent {
    let mut o = AgentOptions::new(&env.kamailio.aor(user), password(user));
    configure(&mut o);
    let mut a = KopplaAgent::start(user, &o, env.dir.path())
        .unwrap_or_else(|e| panic!("koppla agent {user} did not start: {e}"));
    a.register()
        .unwrap_or_else(|e| panic!("koppla agent {user} did not register: {e}"));
    a
}

/// A registered koppla agent that plays party's sweep and records to the returned path.
pub fn audio_agent(env: &Env, user: &str, party: usize, codec: Codec) -> (KopplaAgent, PathBuf) {
    let rec = env.dir.path().join(format!("koppla-{user}-recording.wav"));
    let play = koppla_input(env, party);
    let rec2 = rec.clone();
    let a = agent(env, user, move |o| {
        o.codecs = vec![codec];
        o.play = Some(play);
        o.record = Some(rec2);
    });
    (a, rec)
}

/// A registered baresip peer playing party's sweep with `codec`, recording both directions.
pub fn peer(env: &Env, user: &str, party: usize, codec: Codec, auto_answer: bool) -> Baresip {
    let mut o = BaresipOptions::new(user, password(user), &env.kamailio.domain());
    o.codecs = vec![codec];
    o.audio_in = Some(baresip_input(env, party, codec));
    o.record_dir = Some(env.dir.sub(&format!("rec-{user}")).expect("rec dir"));
    o.auto_answer = auto_answer;
    let mut b = Baresip::start(o, env.dir.path()).unwrap_or_else(|e| panic!("baresip {user}: {e}"));
    b.wait_registered()
        .unwrap_or_else(|e| panic!("baresip {user} registration: {e}"));
    b
}

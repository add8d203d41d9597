//! The switch's view of its users for routing and authentication, and number resolution.

use crate::activity::Activities;
use crate::model::{normalise_username, normalize_number, ActivityChoice};
use std::collections::HashMap;

/// What the SIP side knows about one user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SipUser {
    pub username: String,
    pub name: String,
    pub short_number: Option<String>,
    pub direct: Option<String>,
    pub ha1_md5: Option<String>,
    pub ha1_sha256: Option<String>,
    pub activity: ActivityChoice,
}

/// Where a dialled string leads.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    User(String),
    Echo,
    WhoAmI,
    /// Out through the trunk with this user part.
    Trunk(String),
    /// Not reachable: play this text to the caller.
    Announce(String),
    NotFound,
}

#[derive(Debug, Default)]
pub struct Directory {
    users: HashMap<String, SipUser>,
    by_number: HashMap<String, String>,
}

impl Directory {
    pub fn new(users: Vec<SipUser>) -> Directory {
        let mut d = Directory::default();
        for u in users {
            d.upsert(u);
        }
        d
    }

    pub fn upsert(&mut self, u: SipUser) {
        self.by_number.retain(|_, name| *name != u.username);
        for n in [&u.short_number, &u.direct].into_iter().flatten() {
            let n = normalize_number(n);
            if !n.is_empty() {
                self.by_number.insert(n, u.username.clone());
            }
        }
        self.users.insert(u.username.clone(), u);
    }

    pub fn get(&self, username: &str) -> Option<&SipUser> {
        self.users.get(username)
    }

    pub fn set_activity(&mut self, username: &str, a: ActivityChoice) -> bool {
        match self.users.get_mut(username) {
            Some(u) => {
                u.activity = a;
                true
            }
            None => false,
        }
    }

    /// The user a name from the wire means: the stored name, or the name as people write it
    /// ("Anna.Oberg", "anna.öberg") through [`normalise_username`], the same function that
    /// stored it.
    pub fn by_name(&self, name: &str) -> Option<&SipUser> {
        self.users.get(name).or_else(|| {
            normalise_username(name)
                .ok()
                .and_then(|stored| self.users.get(&stored))
        })
    }

    /// Finds the user a dialled user part means: username (as written or stored), short
    /// number, or direct number.
    pub fn find(&self, dialled: &str) -> Option<&SipUser> {
        if let Some(u) = self.by_name(dialled) {
            return Some(u);
        }
        let n = normalize_number(dialled);
        if n.is_empty() {
            return None;
        }
        self.by_number.get(&n).and_then(|name| self.users.get(name))
    }

    /// The user named after a service code (`*6` + number or name): none when the code is
    /// empty, does not lead `dialled`, or nothing follows it.
    pub fn find_after_code(&self, code: &str, dialled: &str) -> Option<&SipUser> {
        let rest = dialled.strip_prefix(code)?;
        if code.is_empty() || rest.is_empty() {
            return None;
        }
        self.find(rest)
    }
}

/// Routing settings.
#[derive(Debug, Clone)]
pub struct Numbering {
    pub echo: String,
    pub whoami: String,
    pub has_trunk: bool,
}

fn looks_like_number(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    digits >= 3
        && s.chars()
            .all(|c| c.is_ascii_digit() || "+-(). ".contains(c))
}

/// Resolves a dialled user part, following activity diversions (at most a few hops so a
/// diversion loop cannot spin).
pub fn resolve(
    dir: &Directory,
    acts: &Activities,
    num: &Numbering,
    dialled: &str,
    now_unix: i64,
) -> Target {
    let mut current = dialled.to_string();
    for _ in 0..4 {
        if current == num.echo {
            return Target::Echo;
        }
        if current == num.whoami {
            return Target::WhoAmI;
        }
        let Some(user) = dir.find(&current) else {
            if num.has_trunk && looks_like_number(&current) {
                return Target::Trunk(normalize_number(&current));
            }
            return Target::NotFound;
        };
        match acts.effective(&user.activity, now_unix) {
            Some((def, choice)) if !def.reachable => match &def.divert_to {
                Some(to) if *to != current && *to != user.username => current = to.clone(),
                _ => return Target::Announce(unreachable_text(&user.name, &def.label, &choice)),
            },
            _ => return Target::User(user.username.clone()),
        }
    }
    Target::NotFound
}

pub fn unreachable_text(name: &str, label: &str, choice: &ActivityChoice) -> String {
    let mut t = format!("{name} is not available: {label}.");
    if let Some(until) = choice.until {
        let s = crate::activity::format_unix(until);
        if let Some(time) = s.get(11..16) {
            t.push_str(&format!(" Back at {time} UTC."));
        }
    }
    if let Some(note) = &choice.note {
        t.push(' ');
        t.push_str(note);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_activities;

    fn dir() -> Directory {
        Directory::new(vec![
            SipUser {
                username: "alice".into(),
                name: "Alice".into(),
                short_number: Some("1001".into()),
                direct: Some("+4681234001".into()),
                ..Default::default()
            },
            SipUser {
                username: "bob".into(),
                name: "Bob".into(),
                short_number: Some("1002".into()),
                ..Default::default()
            },
        ])
    }

    fn num(trunk: bool) -> Numbering {
        Numbering {
            echo: "9999".into(),
            whoami: "9998".into(),
            has_trunk: trunk,
        }
    }

    #[test]
    fn names_are_found_as_people_write_them() {
        let mut d = dir();
        d.upsert(SipUser {
            username: "anna.oberg".into(),
            name: "Anna Öberg".into(),
            ..Default::default()
        });
        for written in ["anna.oberg", "Anna.Oberg", "anna.öberg", "ANNA ÖBERG"] {
            assert_eq!(
                d.by_name(written).map(|u| u.username.as_str()),
                Some("anna.oberg"),
                "{written}"
            );
            assert_eq!(
                d.find(written).map(|u| u.username.as_str()),
                Some("anna.oberg"),
                "{written}"
            );
        }
        assert_eq!(d.find("Alice").map(|u| u.username.as_str()), Some("alice"));
        assert!(d.by_name("anna").is_none());
        assert!(d.by_name("anna@oberg").is_none());
        // Numbers are not names: by_name does not route 1001.
        assert!(d.by_name("1001").is_none());
        assert_eq!(d.find("1001").map(|u| u.username.as_str()), Some("alice"));
    }

    #[test]
    fn resolves_names_short_and_e164() {
        let mut acts = default_activities();
        acts[4].divert_to = Some("1002".into());
        let acts = Activities::new(acts);
        let d = dir();
        assert_eq!(
            resolve(&d, &acts, &num(false), "alice", 0),
            Target::User("alice".into())
        );
        assert_eq!(
            resolve(&d, &acts, &num(false), "1002", 0),
            Target::User("bob".into())
        );
        assert_eq!(
            resolve(&d, &acts, &num(false), "+4681234001", 0),
            Target::User("alice".into())
        );
        assert_eq!(
            resolve(&d, &acts, &num(false), "004681234001", 0),
            Target::User("alice".into())
        );
        assert_eq!(resolve(&d, &acts, &num(false), "9999", 0), Target::Echo);
        assert_eq!(resolve(&d, &acts, &num(false), "9998", 0), Target::WhoAmI);
        assert_eq!(
            resolve(&d, &acts, &num(false), "+46700000000", 0),
            Target::NotFound
        );
        assert_eq!(
            resolve(&d, &acts, &num(true), "+46700000000", 0),
            Target::Trunk("+46700000000".into())
        );
        assert_eq!(resolve(&d, &acts, &num(true), "carol", 0), Target::NotFound);
    }

    #[test]
    fn unreachable_activity_diverts_or_announces() {
        let mut defs = default_activities();
        let vacation = defs.iter_mut().find(|a| a.id == "vacation").unwrap();
        vacation.divert_to = Some("1002".into());
        let acts = Activities::new(defs);
        let mut d = dir();
        d.set_activity(
            "alice",
            ActivityChoice {
                activity_id: "vacation".into(),
                until: None,
                note: None,
            },
        );
        assert_eq!(
            resolve(&d, &acts, &num(false), "1001", 0),
            Target::User("bob".into())
        );
        d.set_activity(
            "alice",
            ActivityChoice {
                activity_id: "lunch".into(),
                until: Some(100),
                note: Some("Ring Bob".into()),
            },
        );
        match resolve(&d, &acts, &num(false), "alice", 50) {
            Target::Announce(t) => {
                assert!(t.contains("Alice is not available: Lunch."), "{t}");
                assert!(t.contains("Ring Bob"));
            }
            other => panic!("expected announcement, got {other:?}"),
        }
        // after the end time the user is reachable again
        assert_eq!(
            resolve(&d, &acts, &num(false), "alice", 100),
            Target::User("alice".into())
        );
        // diversion loops end
        d.set_activity(
            "alice",
            ActivityChoice {
                activity_id: "vacation".into(),
                until: None,
                note: None,
            },
        );
        d.set_activity(
            "bob",
            ActivityChoice {
                activity_id: "vacation".into(),
                until: None,
                note: None,
            },
        );
        assert!(matches!(
            resolve(&d, &acts, &num(false), "alice", 0),
            Target::Announce(_) | Target::NotFound
        ));
    }
}

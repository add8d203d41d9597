//! Slows down password guessing: digest failures are counted per source address and per user
//! name, and a source or user that fails too often in a window is refused without checking its
//! credentials until the window has passed.
//!
//! A user's limit never locks out their own devices: a source that proved that user's password
//! recently stays allowed for that user, so an attacker guessing a colleague's password cannot
//! take the colleague's desk phone off the switch.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures from one address within [`WINDOW`] before it is refused.
pub(crate) const SOURCE_LIMIT: u32 = 10;
/// Failures for one user name, from anywhere, within [`WINDOW`] before unknown sources are
/// refused for that user.
pub(crate) const USER_LIMIT: u32 = 20;
/// How long failures count, and how long a refusal lasts.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// How long a successful login keeps its source trusted for that user.
const TRUSTED_FOR: Duration = Duration::from_secs(3600);
/// Bounds the tables under a flood from many addresses; the oldest entries go first.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    since: Instant,
}

impl Count {
    fn over(&self, limit: u32, now: Instant) -> bool {
        self.failures >= limit && now.saturating_duration_since(self.since) < WINDOW
    }
}

/// Why an attempt is refused before its credentials are looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    Source { retry_after: Duration },
    User { retry_after: Duration },
}

impl Refusal {
    pub(crate) fn retry_after(&self) -> Duration {
        match self {
            Refusal::Source { retry_after } | Refusal::User { retry_after } => *retry_after,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct AuthThrottle {
    sources: HashMap<IpAddr, Count>,
    users: HashMap<String, Count>,
    trusted: HashMap<(String, IpAddr), Instant>,
}

impl AuthThrottle {
    /// Whether `user` may try a password from `source` now.
    pub(crate) fn check(&self, source: IpAddr, user: &str, now: Instant) -> Result<(), Refusal> {
        let left = |c: &Count| WINDOW.saturating_sub(now.saturating_duration_since(c.since));
        if let Some(c) = self
            .sources
            .get(&source)
            .filter(|c| c.over(SOURCE_LIMIT, now))
        {
            return Err(Refusal::Source {
                retry_after: left(c),
            });
        }
        let trusted = self
            .trusted
            .get(&(user.to_string(), source))
            .is_some_and(|at| now.saturating_duration_since(*at) < TRUSTED_FOR);
        match self.users.get(user).filter(|c| c.over(USER_LIMIT, now)) {
            Some(c) if !trusted => Err(Refusal::User {
                retry_after: left(c),
            }),
            _ => Ok(()),
        }
    }

    /// A wrong password or an unknown user name. Returns true when this failure reached a limit
    /// (the moment worth a log line).
    pub(crate) fn failed(&mut self, source: IpAddr, user: &str, now: Instant) -> bool {
        let by_source = bump(&mut self.sources, source, now) == SOURCE_LIMIT;
        let by_user = bump(&mut self.users, user.to_string(), now) == USER_LIMIT;
        by_source || by_user
    }

    /// The right password: this source is trusted for this user.
    pub(crate) fn succeeded(&mut self, source: IpAddr, user: &str, now: Instant) {
        if self.trusted.len() >= MAX_ENTRIES {
            self.prune(now);
        }
        self.trusted.insert((user.to_string(), source), now);
    }

    /// Drops what no longer counts (called from the core's tick and when a table is full).
    pub(crate) fn prune(&mut self, now: Instant) {
        let live = |c: &Count| now.saturating_duration_since(c.since) < WINDOW;
        self.sources.retain(|_, c| live(c));
        self.users.retain(|_, c| live(c));
        self.trusted
            .retain(|_, at| now.saturating_duration_since(*at) < TRUSTED_FOR);
        if self.trusted.len() >= MAX_ENTRIES {
            self.trusted.clear();
        }
    }
}

fn bump<K: std::hash::Hash + Eq>(table: &mut HashMap<K, Count>, key: K, now: Instant) -> u32 {
    if table.len() >= MAX_ENTRIES {
        let live = |c: &Count| now.saturating_duration_since(c.since) < WINDOW;
        table.retain(|_, c| live(c));
        if table.len() >= MAX_ENTRIES {
            // Still full of live entries: a flood from many addresses. Forget the oldest half so
            // the table stays bounded; the busiest sources reach their limit again quickly.
            let mut ages: Vec<Instant> = table.values().map(|c| c.since).collect();
            ages.sort();
            let cut = ages[ages.len() / 2];
            table.retain(|_, c| c.since > cut);
        }
    }
    let entry = table.entry(key).or_insert(Count {
        failures: 0,
        since: now,
    });
    if now.saturating_duration_since(entry.since) >= WINDOW {
        *entry = Count {
            failures: 0,
            since: now,
        };
    }
    entry.failures = entry.failures.saturating_add(1);
    entry.failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn a_guessing_source_is_refused_for_the_window_then_allowed() {
        let mut t = AuthThrottle::default();
        let now = Instant::now();
        for i in 0..SOURCE_LIMIT {
            assert_eq!(t.check(ip(1), "anna", now), Ok(()));
            assert_eq!(t.failed(ip(1), "anna", now), i + 1 == SOURCE_LIMIT);
        }
        assert_eq!(
            t.check(ip(1), "bo", now + Duration::from_secs(10)),
            Err(Refusal::Source {
                retry_after: Duration::from_secs(50)
            }),
            "every user name from that source"
        );
        assert_eq!(t.check(ip(2), "anna", now), Ok(()), "other sources go on");
        assert_eq!(t.check(ip(1), "anna", now + WINDOW), Ok(()));
    }

    #[test]
    fn a_guessed_user_is_refused_to_strangers_but_not_to_their_own_phone() {
        let mut t = AuthThrottle::default();
        let now = Instant::now();
        t.succeeded(ip(9), "anna", now);
        // A distributed guess: many addresses, few tries each.
        for i in 0..USER_LIMIT {
            t.failed(ip(u8::try_from(100 + i).unwrap()), "anna", now);
        }
        assert!(matches!(
            t.check(ip(50), "anna", now),
            Err(Refusal::User { .. })
        ));
        assert_eq!(t.check(ip(9), "anna", now), Ok(()), "her desk phone");
        assert_eq!(t.check(ip(50), "bo", now), Ok(()));
        assert_eq!(t.check(ip(50), "anna", now + WINDOW), Ok(()));
    }

    #[test]
    fn failures_older_than_the_window_do_not_add_up() {
        let mut t = AuthThrottle::default();
        let mut now = Instant::now();
        for _ in 0..3 * SOURCE_LIMIT {
            t.failed(ip(1), "anna", now);
            now += WINDOW / SOURCE_LIMIT * 2;
            assert_eq!(t.check(ip(1), "anna", now), Ok(()));
        }
    }

    #[test]
    fn a_flood_from_many_addresses_keeps_the_tables_bounded() {
        let mut t = AuthThrottle::default();
        let now = Instant::now();
        for i in 0..3 * MAX_ENTRIES {
            let a = u32::try_from(i).unwrap().to_be_bytes();
            t.failed(IpAddr::from([10, a[1], a[2], a[3]]), "anna", now);
        }
        assert!(t.sources.len() <= MAX_ENTRIES);
        t.prune(now + WINDOW);
        assert!(t.sources.is_empty() && t.users.is_empty());
    }
}

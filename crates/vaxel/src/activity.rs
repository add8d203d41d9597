//! Activity (presence) model: resolves a user's stored choice against the configured list.

use crate::config::ActivityDef;
use crate::model::{ActivityChoice, ActivityStatus};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Errors when a client sets an activity.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ActivityError {
    #[error("unknown activity {0:?}")]
    Unknown(String),
    #[error("end time {0:?} is not RFC 3339 (e.g. 2026-01-31T12:00:00Z)")]
    BadTime(String),
    #[error("end time is in the past")]
    InPast,
    #[error("note is longer than {0} characters")]
    NoteTooLong(usize),
}

pub const MAX_NOTE: usize = 500;

/// The configured activity list with lookups.
#[derive(Debug, Clone)]
pub struct Activities {
    defs: Vec<ActivityDef>,
}

pub fn format_unix(secs: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(secs.max(0).unsigned_abs());
    humantime::format_rfc3339_seconds(t).to_string()
}

pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(s).ok()?;
    let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Activities {
    /// `defs` must be non-empty with at least one reachable entry (config validation ensures it).
    pub fn new(defs: Vec<ActivityDef>) -> Activities {
        Activities { defs }
    }

    pub fn defs(&self) -> &[ActivityDef] {
        &self.defs
    }

    pub fn get(&self, id: &str) -> Option<&ActivityDef> {
        self.defs.iter().find(|d| d.id == id)
    }

    /// The activity a user falls back to: the first reachable one.
    pub fn default_def(&self) -> Option<&ActivityDef> {
        self.defs.iter().find(|d| d.reachable).or(self.defs.first())
    }

    /// The effective activity at `now`: an expired or unknown choice becomes the default.
    pub fn effective<'a>(
        &'a self,
        choice: &ActivityChoice,
        now: i64,
    ) -> Option<(&'a ActivityDef, ActivityChoice)> {
        let expired = choice.until.is_some_and(|u| u <= now);
        match self.get(&choice.activity_id) {
            Some(def) if !expired => Some((def, choice.clone())),
            _ => self.default_def().map(|d| {
                (
                    d,
                    ActivityChoice {
                        activity_id: d.id.clone(),
                        until: None,
                        note: None,
                    },
                )
            }),
        }
    }

    /// The API view of a choice.
    pub fn status(&self, choice: &ActivityChoice, now: i64) -> ActivityStatus {
        match self.effective(choice, now) {
            Some((def, eff)) => ActivityStatus {
                id: def.id.clone(),
                label: def.label.clone(),
                color: def.color.clone(),
                reachable: def.reachable,
                until: eff.until.map(format_unix),
                note: eff.note,
            },
            None => ActivityStatus {
                id: choice.activity_id.clone(),
                label: choice.activity_id.clone(),
                color: "#9e9e9e".into(),
                reachable: true,
                until: None,
                note: None,
            },
        }
    }

    /// Validates a client's request to change activity.
    pub fn choose(
        &self,
        id: &str,
        until: Option<&str>,
        note: Option<&str>,
        now: i64,
    ) -> Result<ActivityChoice, ActivityError> {
        if self.get(id).is_none() {
            return Err(ActivityError::Unknown(id.to_string()));
        }
        let until = match until {
            Some(s) => {
                let t = parse_rfc3339(s).ok_or_else(|| ActivityError::BadTime(s.to_string()))?;
                if t <= now {
                    return Err(ActivityError::InPast);
                }
                Some(t)
            }
            None => None,
        };
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
            return Err(ActivityError::NoteTooLong(MAX_NOTE));
        }
        Ok(ActivityChoice {
            activity_id: id.to_string(),
            until,
            note: note.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_activities;

    #[test]
    fn expiry_falls_back_to_available() {
        let a = Activities::new(default_activities());
        let c = a
            .choose(
                "lunch",
                Some("2030-01-01T12:00:00Z"),
                Some(" back soon "),
                0,
            )
            .unwrap();
        assert_eq!(c.note.as_deref(), Some("back soon"));
        let until = c.until.unwrap();
        let s = a.status(&c, until - 1);
        assert_eq!(s.id, "lunch");
        assert!(!s.reachable);
        assert_eq!(s.until.as_deref(), Some("2030-01-01T12:00:00Z"));
        let s = a.status(&c, until);
        assert_eq!(s.id, "available");
        assert!(s.reachable);
        assert_eq!(s.note, None);
    }

    #[test]
    fn choose_rejects_bad_input() {
        let a = Activities::new(default_activities());
        assert_eq!(
            a.choose("nap", None, None, 0),
            Err(ActivityError::Unknown("nap".into()))
        );
        assert!(matches!(
            a.choose("lunch", Some("tomorrow"), None, 0),
            Err(ActivityError::BadTime(_))
        ));
        assert_eq!(
            a.choose("lunch", Some("1970-01-01T00:00:10Z"), None, 100),
            Err(ActivityError::InPast)
        );
        let long = "x".repeat(MAX_NOTE + 1);
        assert_eq!(
            a.choose("lunch", None, Some(&long), 0),
            Err(ActivityError::NoteTooLong(MAX_NOTE))
        );
    }
}

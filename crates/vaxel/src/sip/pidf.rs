//! PIDF (RFC 3863) documents with RPID activities and notes (RFC 4480): building what the
//! switch publishes to watchers and reading what phones PUBLISH.

use crate::activity::Activities;
use crate::config::ActivityDef;
use crate::model::ActivityChoice;
use quick_xml::events::Event as Xml;

/// Config activity id <-> RPID element name, where the names differ.
const RPID_ALIASES: &[(&str, &str)] = &[
    ("lunch", "meal"),
    ("vacation", "vacation"),
    ("holiday", "vacation"),
    ("dnd", "busy"),
];
/// RFC 4480 activity names.
const RPID_NAMES: &[&str] = &[
    "appointment",
    "away",
    "breakfast",
    "busy",
    "dinner",
    "holiday",
    "in-transit",
    "looking-for-work",
    "meal",
    "meeting",
    "on-the-phone",
    "performance",
    "permanent-absence",
    "playing",
    "presentation",
    "shopping",
    "sleeping",
    "spectator",
    "steering",
    "travel",
    "tv",
    "vacation",
    "working",
    "worship",
];

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rpid_name(def: &ActivityDef) -> Option<&str> {
    if def.reachable {
        return None;
    }
    if RPID_NAMES.contains(&def.id.as_str()) {
        return Some(def.id.as_str());
    }
    RPID_ALIASES
        .iter()
        .find(|(id, _)| *id == def.id)
        .map(|(_, n)| *n)
}

/// A PIDF document with RPID activity and note for `entity`.
pub fn pidf(entity: &str, def: &ActivityDef, choice: &ActivityChoice, online: bool) -> String {
    let basic = if online && def.reachable {
        "open"
    } else {
        "closed"
    };
    let mut note = def.label.clone();
    if let Some(n) = &choice.note {
        note.push_str(" - ");
        note.push_str(n);
    }
    let activity = match rpid_name(def) {
        Some(n) => format!("<rpid:{n}/>"),
        None if def.reachable => String::new(),
        None => format!("<rpid:other>{}</rpid:other>", xml_escape(&def.id)),
    };
    let activities = if activity.is_empty() {
        String::new()
    } else {
        format!("<rpid:activities>{activity}</rpid:activities>")
    };
    let until = choice
        .until
        .map(|u| format!(" until=\"{}\"", crate::activity::format_unix(u)))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" \
xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"{entity}\">\r\n\
<tuple id=\"t1\"><status><basic>{basic}</basic></status><note>{note}</note></tuple>\r\n\
<dm:person id=\"p1\">{activities}<dm:note{until}>{note}</dm:note></dm:person>\r\n</presence>\r\n",
        entity = xml_escape(entity),
        note = xml_escape(&note),
    )
}

/// What a published PIDF says: RPID activity element names, `other` text, note, basic status.
#[derive(Debug, Default, PartialEq)]
pub struct Published {
    pub activities: Vec<String>,
    pub other: Option<String>,
    pub note: Option<String>,
    pub basic: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid PIDF document: {0}")]
pub struct PidfError(pub(crate) String);

/// Reads a PIDF/RPID body; tolerant of unknown elements and namespaces prefixes.
pub fn parse_pidf(body: &str) -> Result<Published, PidfError> {
    let mut r = quick_xml::Reader::from_str(body);
    r.config_mut().trim_text(true);
    let mut p = Published::default();
    let mut stack: Vec<String> = Vec::new();
    let mut saw_presence = false;
    loop {
        let ev = r.read_event().map_err(|e| PidfError(e.to_string()))?;
        match ev {
            Xml::Start(e) | Xml::Empty(e) if stack.len() > 64 => {
                return Err(PidfError(format!(
                    "nesting too deep at {:?}",
                    e.local_name()
                )))
            }
            Xml::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                if name == "presence" {
                    saw_presence = true;
                }
                if stack.last().is_some_and(|s| s == "activities") && name != "other" {
                    p.activities.push(name.clone());
                }
                stack.push(name);
            }
            Xml::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                if stack.last().is_some_and(|s| s == "activities") {
                    p.activities.push(name);
                }
            }
            Xml::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|e| PidfError(e.to_string()))?
                    .trim()
                    .to_string();
                match stack.last().map(String::as_str) {
                    Some("note") if p.note.is_none() || stack.iter().any(|s| s == "person") => {
                        p.note = Some(text)
                    }
                    Some("basic") => p.basic = Some(text),
                    Some("other") if stack.iter().any(|s| s == "activities") => {
                        p.other = Some(text)
                    }
                    _ => {}
                }
            }
            Xml::End(_) => {
                stack.pop();
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    if !saw_presence {
        return Err(PidfError("no <presence> element".into()));
    }
    Ok(p)
}

/// Maps a published document onto a configured activity.
pub fn choice_from_published(acts: &Activities, p: &Published) -> Option<ActivityChoice> {
    let by_rpid = p.activities.iter().find_map(|a| {
        acts.get(a)
            .or_else(|| {
                RPID_ALIASES
                    .iter()
                    .filter(|(_, n)| n == a)
                    .find_map(|(id, _)| acts.get(id))
            })
            .map(|d| d.id.clone())
    });
    let by_other = p.other.as_ref().and_then(|o| {
        acts.defs()
            .iter()
            .find(|d| d.id.eq_ignore_ascii_case(o) || d.label.eq_ignore_ascii_case(o))
            .map(|d| d.id.clone())
    });
    let id = by_rpid.or(by_other).or_else(|| match p.basic.as_deref() {
        Some("closed") => acts
            .defs()
            .iter()
            .find(|d| !d.reachable)
            .map(|d| d.id.clone()),
        _ if p.activities.is_empty() => acts.default_def().map(|d| d.id.clone()),
        _ => None,
    })?;
    // Our own NOTIFY notes are "Label - note"; strip the label so a round trip is stable.
    let label = acts.get(&id).map(|d| d.label.clone()).unwrap_or_default();
    let note = p
        .note
        .as_ref()
        .map(|n| {
            n.strip_prefix(&format!("{label} - "))
                .unwrap_or(n)
                .to_string()
        })
        .filter(|n| !n.is_empty() && *n != label);
    Some(ActivityChoice {
        activity_id: id,
        until: None,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_activities;

    #[test]
    fn pidf_roundtrips_through_parser() {
        let acts = Activities::new(default_activities());
        for id in ["available", "lunch", "meeting", "away", "vacation", "busy"] {
            let def = acts.get(id).unwrap().clone();
            let choice = ActivityChoice {
                activity_id: id.into(),
                until: None,
                note: Some("back <soon> & ok".into()),
            };
            let doc = pidf("sip:alice@koppla", &def, &choice, true);
            let p = parse_pidf(&doc).unwrap();
            let back = choice_from_published(&acts, &p).unwrap();
            assert_eq!(back.activity_id, id, "{doc}");
            assert_eq!(back.note.as_deref(), Some("back <soon> & ok"));
            assert_eq!(
                p.basic.as_deref(),
                Some(if def.reachable { "open" } else { "closed" })
            );
        }
    }

    #[test]
    fn parses_foreign_rpid() {
        let acts = Activities::new(default_activities());
        let doc = r#"<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:a@b">
<tuple id="x"><status><basic>open</basic></status></tuple><r:person xmlns:r2="x"><r:activities><r:meal/></r:activities><note>Pizza</note></r:person></presence>"#;
        let c = choice_from_published(&acts, &parse_pidf(doc).unwrap()).unwrap();
        assert_eq!(c.activity_id, "lunch");
        assert_eq!(c.note.as_deref(), Some("Pizza"));
        let closed =
            r#"<presence><tuple><status><basic>closed</basic></status></tuple></presence>"#;
        assert_eq!(
            choice_from_published(&acts, &parse_pidf(closed).unwrap())
                .unwrap()
                .activity_id,
            "lunch"
        );
        let open = r#"<presence><tuple><status><basic>open</basic></status></tuple></presence>"#;
        assert_eq!(
            choice_from_published(&acts, &parse_pidf(open).unwrap())
                .unwrap()
                .activity_id,
            "available"
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(
            parse_pidf("not xml <<<").is_err() || parse_pidf("not xml <<<").is_ok_and(|_| false)
        );
        assert!(parse_pidf("<foo/>").is_err());
        assert!(parse_pidf("<presence><a></b></presence>").is_err());
    }
}

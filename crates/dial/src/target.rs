//! What a link or selection resolves to, and how it becomes a request URI.

use serde::{Deserialize, Serialize};

use crate::{PhoneNumber, SipAddress};

/// Something the user may call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DialTarget {
    Phone(PhoneNumber),
    Sip(SipAddress),
}

impl DialTarget {
    /// SIP request URI to dial through an account whose domain is `domain`
    /// (`example.com` or `example.com:5060`). Numbers become
    /// `sip:<dial_string>@domain;user=phone`; an extension is not part of
    /// the URI but keyed as DTMF after answer (see [`PhoneNumber::ext`]).
    pub fn to_request_uri(&self, domain: &str) -> String {
        match self {
            DialTarget::Phone(p) => {
                // '#' is not allowed unescaped in a SIP user part.
                let user = p.dial_string.replace('#', "%23");
                format!("sip:{user}@{domain};user=phone")
            }
            DialTarget::Sip(a) => a.to_uri(),
        }
    }

    /// Digits to key as DTMF once the call is answered: a number's extension
    /// (`tel:+46812345678;ext=12`, "08-123 456 78 ankn. 12"). SIP addresses have none.
    pub fn dtmf_after_answer(&self) -> Option<&str> {
        match self {
            DialTarget::Phone(p) => p.ext.as_deref(),
            DialTarget::Sip(_) => None,
        }
    }

    /// Text to show the user before dialling.
    pub fn display(&self) -> &str {
        match self {
            DialTarget::Phone(p) => &p.display,
            DialTarget::Sip(a) => &a.display,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_link, DialPlan};

    #[test]
    fn request_uris() {
        let plan = DialPlan::default();
        let t = parse_link("tel:+46-8-123-456-78;ext=12", &plan).unwrap();
        assert_eq!(
            t.to_request_uri("pbx.example.com"),
            "sip:+46812345678@pbx.example.com;user=phone"
        );
        assert_eq!(t.display(), "08-123 456 78");
        assert_eq!(t.dtmf_after_answer(), Some("12"));
        let t = parse_link("tel:*21%23;phone-context=example.com", &plan).unwrap();
        assert_eq!(t.to_request_uri("pbx"), "sip:*21%23@pbx;user=phone");
        assert_eq!(t.dtmf_after_answer(), None);
        let t = parse_link("sip:bob@example.org", &plan).unwrap();
        assert_eq!(t.to_request_uri("ignored.example"), "sip:bob@example.org");
        assert_eq!(t.dtmf_after_answer(), None);
    }

    #[test]
    fn serialises_tagged_for_the_ui() {
        let t = parse_link("tel:3267", &DialPlan::default()).unwrap();
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["type"], "phone");
        assert_eq!(json["dial_string"], "3267");
        assert_eq!(json["kind"], "short");
        let back: DialTarget = serde_json::from_value(json).unwrap();
        assert_eq!(back, t);
    }
}

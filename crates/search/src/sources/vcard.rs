//! Lenient vCard (2.1 / 3.0 / 4.0) reader for the fields the search box needs. Address books
//! are messy, so malformed lines are skipped rather than failing the whole book.

/// The searchable part of one vCard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VCard {
    pub uid: String,
    pub name: String,
    pub company: String,
    pub department: String,
    pub title: String,
    pub emails: Vec<String>,
    /// (label, number)
    pub numbers: Vec<(String, String)>,
    pub categories: Vec<String>,
}

/// Longest input considered; a single vCard blob beyond this is not an address book.
const MAX_INPUT: usize = 16 * 1024 * 1024;

fn unfold(text: &str) -> String {
    text.replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
        .replace("\n\t", "")
}

/// Splits on `sep` not preceded by a backslash escape.
fn split_unescaped(value: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let decoded = match chars.next() {
                    Some('n' | 'N') => '\n',
                    Some(other) => other,
                    None => break,
                };
                if let Some(last) = parts.last_mut() {
                    last.push(decoded);
                }
            }
            c if c == sep => parts.push(String::new()),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts.into_iter().map(|p| p.trim().to_string()).collect()
}

/// Index of the ':' that ends the name/parameter part (colons inside quoted params don't count).
fn value_colon(line: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn phone_label(params: &[&str]) -> String {
    let types: Vec<String> = params
        .iter()
        .flat_map(|p| {
            let v = p.split_once('=').map_or(*p, |(k, v)| {
                if k.eq_ignore_ascii_case("type") {
                    v
                } else {
                    ""
                }
            });
            v.trim_matches('"')
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    for (t, label) in [
        ("cell", "mobile"),
        ("work", "work"),
        ("home", "home"),
        ("fax", "fax"),
        ("main", "main"),
    ] {
        if types.iter().any(|x| x == t) {
            return label.to_string();
        }
    }
    "phone".to_string()
}

/// Parses every `BEGIN:VCARD … END:VCARD` block in `text`.
pub fn parse_vcards(text: &str) -> Vec<VCard> {
    let text = text.get(..MAX_INPUT).unwrap_or(text);
    let mut cards = Vec::new();
    let mut current: Option<(VCard, String)> = None;
    for line in unfold(text).lines() {
        let line = line.trim_end_matches('\r');
        let Some(colon) = value_colon(line) else {
            continue;
        };
        let (head, value) = (&line[..colon], &line[colon + 1..]);
        let mut params = head.split(';');
        let name = params.next().unwrap_or("");
        let name = name.rsplit('.').next().unwrap_or(name).to_ascii_uppercase();
        let params: Vec<&str> = params.collect();
        match (name.as_str(), current.as_mut()) {
            ("BEGIN", _) if value.trim().eq_ignore_ascii_case("vcard") => {
                current = Some((VCard::default(), String::new()))
            }
            ("END", Some(_)) if value.trim().eq_ignore_ascii_case("vcard") => {
                if let Some((mut card, n_name)) = current.take() {
                    if card.name.is_empty() {
                        card.name = n_name;
                    }
                    if !card.name.is_empty() || !card.numbers.is_empty() {
                        cards.push(card);
                    }
                }
            }
            (_, None) => {}
            ("FN", Some((card, _))) => card.name = split_unescaped(value, '\u{0}').concat(),
            ("N", Some((_, n_name))) => {
                // Family;Given;Additional;Prefix;Suffix -> "Given Additional Family"
                let p = split_unescaped(value, ';');
                let order = [1, 2, 0];
                *n_name = order
                    .iter()
                    .filter_map(|&i| p.get(i))
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            ("ORG", Some((card, _))) => {
                let p = split_unescaped(value, ';');
                card.company = p.first().cloned().unwrap_or_default();
                card.department = p.get(1).cloned().unwrap_or_default();
            }
            ("TITLE", Some((card, _))) => card.title = split_unescaped(value, '\u{0}').concat(),
            ("UID", Some((card, _))) => card.uid = value.trim().to_string(),
            ("EMAIL", Some((card, _))) => {
                let v = value.trim();
                let v = v.strip_prefix("mailto:").unwrap_or(v);
                if !v.is_empty() {
                    card.emails.push(v.to_string());
                }
            }
            ("TEL", Some((card, _))) => {
                let v = value.trim();
                let v = v.strip_prefix("tel:").unwrap_or(v);
                if v.chars().any(|c| c.is_ascii_digit()) {
                    card.numbers.push((phone_label(&params), v.to_string()));
                }
            }
            ("CATEGORIES", Some((card, _))) => card.categories.extend(
                split_unescaped(value, ',')
                    .into_iter()
                    .filter(|c| !c.is_empty()),
            ),
            _ => {}
        }
    }
    cards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_v3_card_with_folding_escapes_and_groups() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:abc-1\r\nFN:Åsa Lind\r\n kvist\r\nN:Lindkvist;Åsa;;;\r\n\
            ORG:Skåne Frukt\\, AB;Inköp\r\nTITLE:Inköpare\r\nEMAIL;TYPE=INTERNET,WORK:asa@frukt.se\r\n\
            item1.TEL;TYPE=CELL,VOICE:+46 70 111 22 33\r\nTEL;type=work:040-12 34 56\r\nTEL:n/a\r\n\
            CATEGORIES:leverantör,frukt\r\nEND:VCARD\r\n";
        let cards = parse_vcards(text);
        assert_eq!(cards.len(), 1);
        let c = &cards[0];
        assert_eq!(c.name, "Åsa Lindkvist");
        assert_eq!(
            (c.company.as_str(), c.department.as_str()),
            ("Skåne Frukt, AB", "Inköp")
        );
        assert_eq!(c.uid, "abc-1");
        assert_eq!(c.emails, ["asa@frukt.se"]);
        assert_eq!(
            c.numbers,
            [
                ("mobile".into(), "+46 70 111 22 33".into()),
                ("work".into(), "040-12 34 56".into())
            ]
        );
        assert_eq!(c.categories, ["leverantör", "frukt"]);
    }

    #[test]
    fn v4_uri_values_and_missing_fn() {
        let text = "BEGIN:VCARD\nVERSION:4.0\nN:Berg;Bo;;;\nTEL;VALUE=uri;TYPE=\"voice,home\":tel:+46-8-123\n\
                    EMAIL:mailto:bo@x.se\nEND:VCARD\nBEGIN:VCARD\nFN:Second\nEND:VCARD";
        let cards = parse_vcards(text);
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].name, "Bo Berg");
        assert_eq!(cards[0].numbers, [("home".into(), "+46-8-123".into())]);
        assert_eq!(cards[0].emails, ["bo@x.se"]);
        assert_eq!(cards[1].name, "Second");
    }

    #[test]
    fn garbage_yields_nothing_and_never_panics() {
        for text in [
            "",
            "BEGIN:VCARD",
            "END:VCARD",
            "FN:x",
            ":::",
            "BEGIN:VCARD\nFN:\\",
            "BEGIN:VCARD\nN:;;;\nEND:VCARD",
        ] {
            assert!(parse_vcards(text).is_empty(), "{text:?}");
        }
    }
}

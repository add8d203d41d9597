//! Saved contacts: CRUD and listing by kind.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{unix_millis_now, Result, Store, StoreError};

/// Row id of a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactId(pub i64);

/// How the user classified a contact (Favourite and VIP rank higher in search; Blocked is
/// rejected on incoming calls and shown last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactKind {
    Favourite,
    #[default]
    Contact,
    Vip,
    Blocked,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Favourite => "favourite",
            ContactKind::Contact => "contact",
            ContactKind::Vip => "vip",
            ContactKind::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<ContactKind> {
        match s {
            "favourite" => Some(ContactKind::Favourite),
            "contact" => Some(ContactKind::Contact),
            "vip" => Some(ContactKind::Vip),
            "blocked" => Some(ContactKind::Blocked),
            _ => None,
        }
    }
}

/// A labelled phone number ("mobile", "work", ...), kept as the user typed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub label: String,
    pub number: String,
}

impl PhoneNumber {
    pub fn new(label: impl Into<String>, number: impl Into<String>) -> Self {
        PhoneNumber {
            label: label.into(),
            number: number.into(),
        }
    }
}

/// The editable part of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactData {
    pub name: String,
    pub company: String,
    pub title: String,
    pub emails: Vec<String>,
    pub numbers: Vec<PhoneNumber>,
    pub keywords: Vec<String>,
    pub kind: ContactKind,
    pub notes: String,
}

impl ContactData {
    fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "name",
                reason: "must not be empty".into(),
            });
        }
        if let Some(n) = self
            .numbers
            .iter()
            .find(|n| !n.number.chars().any(|c| c.is_ascii_alphanumeric()))
        {
            return Err(StoreError::Invalid {
                field: "numbers",
                reason: format!("'{}' contains no digits or letters", n.number),
            });
        }
        Ok(())
    }
}

/// A stored contact. Timestamps are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    #[serde(flatten)]
    pub data: ContactData,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    name: String,
    company: String,
    title: String,
    emails: String,
    numbers: String,
    keywords: String,
    kind: String,
    notes: String,
    created_at: i64,
    updated_at: i64,
}

fn json_column<T: DeserializeOwned>(column: &'static str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    })
}

fn to_json<T: Serialize>(column: &'static str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        column,
        detail: e.to_string(),
    })
}

impl TryFrom<ContactRow> for Contact {
    type Error = StoreError;

    fn try_from(row: ContactRow) -> Result<Contact> {
        let kind = ContactKind::parse(&row.kind).ok_or_else(|| StoreError::Corrupt {
            column: "contacts.kind",
            detail: format!("unknown kind '{}'", row.kind),
        })?;
        Ok(Contact {
            id: ContactId(row.id),
            data: ContactData {
                name: row.name,
                company: row.company,
                title: row.title,
                emails: json_column("contacts.emails", &row.emails)?,
                numbers: json_column("contacts.numbers", &row.numbers)?,
                keywords: json_column("contacts.keywords", &row.keywords)?,
                kind,
                notes: row.notes,
            },
            created_at_ms: row.created_at,
            updated_at_ms: row.updated_at,
        })
    }
}

const SELECT_CONTACT: &str =
    "SELECT id, name, company, title, emails, numbers, keywords, kind, notes, \
     created_at, updated_at FROM contacts";

impl Store {
    /// Saves a new contact and returns it with its id.
    pub async fn create_contact(&self, data: ContactData) -> Result<Contact> {
        data.validate()?;
        let now = unix_millis_now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contacts (name, company, title, emails, numbers, keywords, kind, notes, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&data.name)
        .bind(&data.company)
        .bind(&data.title)
        .bind(to_json("contacts.emails", &data.emails)?)
        .bind(to_json("contacts.numbers", &data.numbers)?)
        .bind(to_json("contacts.keywords", &data.keywords)?)
        .bind(data.kind.as_str())
        .bind(&data.notes)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(Contact {
            id: ContactId(id),
            data,
            created_at_ms: now,
            updated_at_ms: now,
        })
    }

    pub async fn get_contact(&self, id: ContactId) -> Result<Contact> {
        let row: Option<ContactRow> = sqlx::query_as(&format!("{SELECT_CONTACT} WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(StoreError::NotFound {
            what: "contact",
            id: id.0,
        })?
        .try_into()
    }

    /// Replaces the editable fields of contact `id`; returns the updated contact.
    pub async fn update_contact(&self, id: ContactId, data: ContactData) -> Result<Contact> {
        data.validate()?;
        let now = unix_millis_now();
        let created: Option<i64> = sqlx::query_scalar(
            "UPDATE contacts SET name = ?, company = ?, title = ?, emails = ?, numbers = ?, keywords = ?, \
             kind = ?, notes = ?, updated_at = ? WHERE id = ? RETURNING created_at",
        )
        .bind(&data.name)
        .bind(&data.company)
        .bind(&data.title)
        .bind(to_json("contacts.emails", &data.emails)?)
        .bind(to_json("contacts.numbers", &data.numbers)?)
        .bind(to_json("contacts.keywords", &data.keywords)?)
        .bind(data.kind.as_str())
        .bind(&data.notes)
        .bind(now)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        let created_at_ms = created.ok_or(StoreError::NotFound {
            what: "contact",
            id: id.0,
        })?;
        Ok(Contact {
            id,
            data,
            created_at_ms,
            updated_at_ms: now,
        })
    }

    /// Changes only the kind (e.g. star as favourite, block).
    pub async fn set_contact_kind(&self, id: ContactId, kind: ContactKind) -> Result<()> {
        let done = sqlx::query("UPDATE contacts SET kind = ?, updated_at = ? WHERE id = ?")
            .bind(kind.as_str())
            .bind(unix_millis_now())
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "contact",
                id: id.0,
            });
        }
        Ok(())
    }

    pub async fn delete_contact(&self, id: ContactId) -> Result<()> {
        let done = sqlx::query("DELETE FROM contacts WHERE id = ?")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "contact",
                id: id.0,
            });
        }
        Ok(())
    }

    /// All contacts, ordered by name (case-insensitive) then id.
    pub async fn list_contacts(&self) -> Result<Vec<Contact>> {
        let rows: Vec<ContactRow> = sqlx::query_as(&format!(
            "{SELECT_CONTACT} ORDER BY name COLLATE NOCASE, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Contact::try_from).collect()
    }

    pub async fn list_contacts_by_kind(&self, kind: ContactKind) -> Result<Vec<Contact>> {
        let rows: Vec<ContactRow> = sqlx::query_as(&format!(
            "{SELECT_CONTACT} WHERE kind = ? ORDER BY name COLLATE NOCASE, id"
        ))
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Contact::try_from).collect()
    }
}

#[cfg(test)]
mod tests;

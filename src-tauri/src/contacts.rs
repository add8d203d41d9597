//! Local contacts (Favourite, Contact, VIP, Blocked): IPC commands over koppla-store.

use koppla_store::{Contact, ContactData, ContactId, ContactKind, PhoneNumber};
use tauri::{AppHandle, Manager};

use crate::errors::UiResult;
use crate::ipc_types::{ContactInput, ContactKindView, ContactView, NumberView};
use crate::AppState;

fn kind_to_store(kind: ContactKindView) -> ContactKind {
    match kind {
        ContactKindView::Favourite => ContactKind::Favourite,
        ContactKindView::Contact => ContactKind::Contact,
        ContactKindView::Vip => ContactKind::Vip,
        ContactKindView::Blocked => ContactKind::Blocked,
    }
}

fn kind_to_view(kind: ContactKind) -> ContactKindView {
    match kind {
        ContactKind::Favourite => ContactKindView::Favourite,
        ContactKind::Contact => ContactKindView::Contact,
        ContactKind::Vip => ContactKindView::Vip,
        ContactKind::Blocked => ContactKindView::Blocked,
    }
}

fn to_data(input: ContactInput) -> ContactData {
    ContactData {
        name: input.name.trim().to_string(),
        company: input.company.trim().to_string(),
        title: input.title.trim().to_string(),
        emails: input
            .emails
            .into_iter()
            .filter(|e| !e.trim().is_empty())
            .collect(),
        numbers: input
            .numbers
            .into_iter()
            .filter(|n| !n.number.trim().is_empty())
            .map(|n| PhoneNumber::new(n.label, n.number))
            .collect(),
        keywords: input.keywords,
        kind: kind_to_store(input.kind),
        notes: input.notes,
    }
}

pub fn to_view(contact: Contact) -> ContactView {
    let data = contact.data;
    ContactView {
        id: contact.id.0,
        data: ContactInput {
            name: data.name,
            company: data.company,
            title: data.title,
            emails: data.emails,
            numbers: data
                .numbers
                .into_iter()
                .map(|n| NumberView {
                    label: n.label,
                    number: n.number,
                })
                .collect(),
            keywords: data.keywords,
            kind: kind_to_view(data.kind),
            notes: data.notes,
        },
    }
}

#[tauri::command]
pub async fn contacts_list(app: AppHandle) -> UiResult<Vec<ContactView>> {
    let state = app.state::<AppState>();
    let contacts = state.store.list_contacts().await?;
    Ok(contacts.into_iter().map(to_view).collect())
}

#[tauri::command]
pub async fn contact_save(
    app: AppHandle,
    id: Option<i64>,
    input: ContactInput,
) -> UiResult<ContactView> {
    let state = app.state::<AppState>();
    let data = to_data(input);
    let saved = match id {
        Some(id) => state.store.update_contact(ContactId(id), data).await?,
        None => state.store.create_contact(data).await?,
    };
    state.search.refresh().await;
    Ok(to_view(saved))
}

#[tauri::command]
pub async fn contact_delete(app: AppHandle, id: i64) -> UiResult<()> {
    let state = app.state::<AppState>();
    state.store.delete_contact(ContactId(id)).await?;
    state.search.refresh().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_numbers_and_emails_are_dropped_and_names_trimmed() {
        let data = to_data(ContactInput {
            name: "  Anna Svensson ".into(),
            company: String::new(),
            title: String::new(),
            emails: vec![" ".into(), "anna@example.se".into()],
            numbers: vec![
                NumberView {
                    label: "mobil".into(),
                    number: "070-123 45 67".into(),
                },
                NumberView {
                    label: "jobb".into(),
                    number: "  ".into(),
                },
            ],
            keywords: vec![],
            kind: ContactKindView::Vip,
            notes: String::new(),
        });
        assert_eq!(data.name, "Anna Svensson");
        assert_eq!(data.emails, vec!["anna@example.se".to_string()]);
        assert_eq!(data.numbers.len(), 1);
        assert_eq!(data.kind, ContactKind::Vip);
    }
}

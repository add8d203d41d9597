use super::*;
use crate::test_util::temp_store;

fn anna() -> ContactData {
    ContactData {
        name: "Anna Svensson".into(),
        company: "Ångström AB".into(),
        title: "Säljchef".into(),
        emails: vec!["anna@example.se".into()],
        numbers: vec![
            PhoneNumber::new("mobile", "+46 70 123 45 67"),
            PhoneNumber::new("work", "08-555 12 34"),
        ],
        keywords: vec!["sales".into(), "norr".into()],
        kind: ContactKind::Vip,
        notes: "prefers mornings".into(),
    }
}

#[tokio::test]
async fn create_get_update_delete_roundtrip() {
    let (_dir, store) = temp_store().await;
    let created = store.create_contact(anna()).await.unwrap();
    assert!(created.id.0 > 0);
    let loaded = store.get_contact(created.id).await.unwrap();
    assert_eq!(loaded, created);

    let mut data = anna();
    data.title = "VD".into();
    data.numbers.pop();
    let updated = store
        .update_contact(created.id, data.clone())
        .await
        .unwrap();
    assert_eq!(updated.created_at_ms, created.created_at_ms);
    let loaded = store.get_contact(created.id).await.unwrap();
    assert_eq!(loaded.data, data);
    assert_eq!(loaded.data.numbers.len(), 1);

    store.delete_contact(created.id).await.unwrap();
    assert!(matches!(
        store.get_contact(created.id).await,
        Err(StoreError::NotFound {
            what: "contact",
            ..
        })
    ));
    assert!(matches!(
        store.delete_contact(created.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn list_by_kind_filters_and_sorts() {
    let (_dir, store) = temp_store().await;
    for (name, kind) in [
        ("bertil", ContactKind::Favourite),
        ("Adam", ContactKind::Favourite),
        ("Cesar", ContactKind::Blocked),
        ("David", ContactKind::Contact),
    ] {
        store
            .create_contact(ContactData {
                name: name.into(),
                kind,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let favs: Vec<String> = store
        .list_contacts_by_kind(ContactKind::Favourite)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.data.name)
        .collect();
    assert_eq!(favs, ["Adam", "bertil"]);
    assert_eq!(
        store
            .list_contacts_by_kind(ContactKind::Blocked)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .list_contacts_by_kind(ContactKind::Vip)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(store.list_contacts().await.unwrap().len(), 4);

    let david = store
        .list_contacts_by_kind(ContactKind::Contact)
        .await
        .unwrap()
        .remove(0);
    store
        .set_contact_kind(david.id, ContactKind::Blocked)
        .await
        .unwrap();
    assert_eq!(
        store
            .list_contacts_by_kind(ContactKind::Blocked)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn invalid_contacts_are_rejected() {
    let (_dir, store) = temp_store().await;
    let err = store
        .create_contact(ContactData {
            name: "  ".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { field: "name", .. }));
    let bad_number = ContactData {
        name: "X".into(),
        numbers: vec![PhoneNumber::new("", " - ")],
        ..Default::default()
    };
    assert!(matches!(
        store.create_contact(bad_number).await,
        Err(StoreError::Invalid {
            field: "numbers",
            ..
        })
    ));
    assert!(matches!(
        store.update_contact(ContactId(999), anna()).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn corrupt_json_column_is_an_error_not_a_panic() {
    let (_dir, store) = temp_store().await;
    let c = store.create_contact(anna()).await.unwrap();
    sqlx::query("UPDATE contacts SET numbers = 'not json' WHERE id = ?")
        .bind(c.id.0)
        .execute(&store.pool)
        .await
        .unwrap();
    assert!(matches!(
        store.get_contact(c.id).await,
        Err(StoreError::Corrupt {
            column: "contacts.numbers",
            ..
        })
    ));
}

//! Settings: key -> JSON value, with typed helpers.

use std::marker::PhantomData;

use serde::{de::DeserializeOwned, Serialize};

use crate::{unix_millis_now, Result, Store, StoreError};

/// A typed setting name, so callers declare the type once:
/// `const RINGTONE: SettingKey<String> = SettingKey::new("audio.ringtone");`
#[derive(Debug)]
pub struct SettingKey<T> {
    pub name: &'static str,
    _type: PhantomData<fn() -> T>,
}

impl<T> SettingKey<T> {
    pub const fn new(name: &'static str) -> Self {
        SettingKey {
            name,
            _type: PhantomData,
        }
    }
}

impl Store {
    pub async fn set_setting<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<()> {
        if key.is_empty() {
            return Err(StoreError::Invalid {
                field: "setting key",
                reason: "must not be empty".into(),
            });
        }
        let json = serde_json::to_string(value).map_err(|source| StoreError::Setting {
            key: key.into(),
            source,
        })?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(json)
        .bind(unix_millis_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `None` if unset; an error if the stored JSON does not fit `T`.
    pub async fn get_setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        raw.map(|text| {
            serde_json::from_str(&text).map_err(|source| StoreError::Setting {
                key: key.into(),
                source,
            })
        })
        .transpose()
    }

    pub async fn get<T: DeserializeOwned>(&self, key: &SettingKey<T>) -> Result<Option<T>> {
        self.get_setting(key.name).await
    }

    pub async fn get_or<T: DeserializeOwned>(&self, key: &SettingKey<T>, default: T) -> Result<T> {
        Ok(self.get_setting(key.name).await?.unwrap_or(default))
    }

    pub async fn set<T: Serialize>(&self, key: &SettingKey<T>, value: &T) -> Result<()> {
        self.set_setting(key.name, value).await
    }

    /// Returns whether the key existed.
    pub async fn delete_setting(&self, key: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM settings WHERE key = ?")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn setting_keys(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT key FROM settings ORDER BY key")
            .fetch_all(&self.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::temp_store;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Audio {
        input: String,
        gain_db: f32,
    }

    const AUDIO: SettingKey<Audio> = SettingKey::new("audio");
    const DEBOUNCE: SettingKey<u32> = SettingKey::new("search.debounce_ms");

    #[tokio::test]
    async fn typed_get_set_overwrite_delete() {
        let (_dir, store) = temp_store().await;
        assert_eq!(store.get(&AUDIO).await.unwrap(), None);
        assert_eq!(store.get_or(&DEBOUNCE, 80).await.unwrap(), 80);
        store
            .set(
                &AUDIO,
                &Audio {
                    input: "USB headset".into(),
                    gain_db: -3.5,
                },
            )
            .await
            .unwrap();
        store.set(&DEBOUNCE, &60).await.unwrap();
        store.set(&DEBOUNCE, &120).await.unwrap();
        assert_eq!(
            store.get(&AUDIO).await.unwrap(),
            Some(Audio {
                input: "USB headset".into(),
                gain_db: -3.5
            })
        );
        assert_eq!(store.get(&DEBOUNCE).await.unwrap(), Some(120));
        assert_eq!(
            store.setting_keys().await.unwrap(),
            ["audio", "search.debounce_ms"]
        );
        assert!(store.delete_setting("audio").await.unwrap());
        assert!(!store.delete_setting("audio").await.unwrap());
    }

    #[tokio::test]
    async fn wrong_type_is_a_setting_error() {
        let (_dir, store) = temp_store().await;
        store
            .set_setting("search.debounce_ms", "fast")
            .await
            .unwrap();
        let err = store.get(&DEBOUNCE).await.unwrap_err();
        assert!(matches!(err, StoreError::Setting { ref key, .. } if key == "search.debounce_ms"));
        assert!(matches!(
            store.set_setting("", &1).await,
            Err(StoreError::Invalid { .. })
        ));
    }
}

//! Errors as the UI receives them: a stable code to translate plus English detail.

pub use crate::ipc_types::UiError;

impl UiError {
    pub fn new(code: &str, message: impl std::fmt::Display) -> UiError {
        UiError {
            code: code.to_string(),
            message: message.to_string(),
        }
    }
}

impl From<koppla_store::StoreError> for UiError {
    fn from(err: koppla_store::StoreError) -> UiError {
        let code = match &err {
            koppla_store::StoreError::Invalid { .. } => "invalid_input",
            koppla_store::StoreError::NotFound { .. } => "not_found",
            _ => "storage",
        };
        UiError::new(code, err)
    }
}

pub type UiResult<T> = Result<T, UiError>;

#[cfg(test)]
#[path = "error_texts_tests.rs"]
mod error_texts_tests;

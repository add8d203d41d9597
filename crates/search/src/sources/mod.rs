//! Concrete address-book sources.

mod local;
mod switch;

pub use local::LocalContactsSource;
pub use switch::{parse_directory, SwitchDirectorySource};

//! Concrete address-book sources.

mod carddav;
mod local;
mod switch;
mod vcard;

pub use carddav::{parse_multistatus, CardDavSource, DavItem};
pub use local::LocalContactsSource;
pub use switch::{parse_directory, SwitchDirectorySource};
pub use vcard::{parse_vcards, VCard};

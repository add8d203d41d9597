//! Concrete address-book sources.

mod carddav;
mod ldap;
mod local;
mod switch;
mod vcard;

pub use carddav::{parse_multistatus, CardDavSource, DavItem};
pub use ldap::{LdapSettings, LdapSource, DEFAULT_FILTER as DEFAULT_LDAP_FILTER};
pub use local::LocalContactsSource;
pub use switch::{parse_directory, SwitchDirectorySource};
pub use vcard::{parse_vcards, VCard};

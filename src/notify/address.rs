//! Who receives a message on a channel: the [`AddressBook`] trait, and the book built from the
//! `notify.addresses` settings (per department, else the default) that serves until the contacts
//! directory and duty rosters plug in behind the same trait.

use std::collections::BTreeMap;

use crate::model::DepartmentId;
use crate::model::workflow::Channel;

use super::settings::{NotifySettings, RawRoute};

/// Addresses of a recipient per channel: webhook endpoint names, e-mail addresses, phone numbers.
pub trait AddressBook: Send + Sync + std::fmt::Debug {
    /// The addresses of `recipient` on `channel`; empty when it has none.
    fn addresses(&self, recipient: &DepartmentId, channel: Channel) -> Vec<String>;
}

/// The address book of the `notify.addresses` settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsAddressBook {
    /// Used for departments not listed.
    default: RawRoute,
    /// Per department.
    routes: BTreeMap<DepartmentId, RawRoute>,
}

impl SettingsAddressBook {
    /// The book of resolved settings.
    pub fn new(settings: &NotifySettings) -> Self {
        SettingsAddressBook {
            default: settings.default_route.clone(),
            routes: settings.routes.clone(),
        }
    }
}

impl AddressBook for SettingsAddressBook {
    fn addresses(&self, recipient: &DepartmentId, channel: Channel) -> Vec<String> {
        let route = self.routes.get(recipient).unwrap_or(&self.default);
        match channel {
            Channel::Webhook => route.webhook.clone(),
            Channel::Email => route.email.clone(),
            Channel::Sms => route.sms.clone(),
            Channel::Phone => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_department_uses_its_route_and_others_the_default() {
        let yaml = "webhooks: {desk: {url: 'http://x'}, gas: {url: 'http://y'}}\n\
                    addresses:\n  default: {webhook: [desk], email: [duty@city]}\n  \
                    departments: {gas: {webhook: [gas], sms: ['13800000000']}}\n";
        let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
        let settings = NotifySettings::from_yaml_with(&value, |_| None).unwrap();
        let book = SettingsAddressBook::new(&settings);
        let table = [
            ("gas", Channel::Webhook, vec!["gas"]),
            ("gas", Channel::Sms, vec!["13800000000"]),
            ("gas", Channel::Email, vec![]),
            ("water", Channel::Webhook, vec!["desk"]),
            ("water", Channel::Email, vec!["duty@city"]),
            ("water", Channel::Sms, vec![]),
        ];
        for (department, channel, expected) in table {
            assert_eq!(
                book.addresses(&DepartmentId::new(department), channel),
                expected,
                "{department} {channel:?}"
            );
        }
    }
}

//! Who receives a message on a channel: the [`AddressBook`] trait and its two books. The
//! [`SettingsAddressBook`] maps a department to the addresses of the `notify.addresses` settings
//! (per department, else the default); the [`ContactsAddressBook`] asks the contacts directory
//! and duty rosters who of the department is on duty at the message's time and how each wants to
//! be reached, and falls back to the settings book where the directory has nobody. The
//! [`FollowingAddressBook`] the server runs with follows the generation in force: when a reload
//! (API, SIGHUP, file watch) swaps the generation, the next message resolves through the new
//! generation's contacts and rosters.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::contacts::{Address, Directory, Medium, Reference};
use crate::model::generation::Generations;
use crate::model::workflow::Channel;
use crate::model::{DepartmentId, Generation, Recipient, Timestamp};

use super::channel::Outgoing;
use super::settings::{NotifySettings, RawRoute};

/// The plain addresses among `targets`.
fn plain(targets: Vec<Target>) -> Vec<String> {
    targets
        .into_iter()
        .filter_map(|target| match target {
            Target::Plain(text) => Some(text),
            Target::Endpoint { .. } => None,
        })
        .collect()
}

/// One place a message goes on a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A phone number (SMS, call-back), an e-mail address, or the name of a `notify.webhooks`
    /// entry (webhook channel).
    Plain(String),
    /// A department's work-chat robot or generic webhook from the contacts: the URL and secret
    /// are references (`env:NAME`) read when sending.
    Endpoint {
        /// `Dingtalk`, `Wecom`, `Feishu` or `Webhook`.
        medium: Medium,
        /// Name shown to people.
        name: String,
        /// URL reference.
        url: Reference,
        /// Signing secret reference.
        secret: Option<Reference>,
    },
}

/// Addresses of a recipient per channel.
pub trait AddressBook: Send + Sync + std::fmt::Debug {
    /// Where a message to `recipient` on `channel` goes when sent for time `at`, in order; empty
    /// when nowhere.
    fn targets(&self, recipient: &DepartmentId, channel: Channel, at: Timestamp) -> Vec<Target>;

    /// Where `msg` goes on `channel`: [`AddressBook::targets_as`] of its recipient and audience
    /// at its time. A
    /// book that knows drill recipients sends a drill (演练) only to them (the contacts book);
    /// the settings book has no drill marking, so its addresses get drills as well.
    fn targets_of(&self, msg: &Outgoing, channel: Channel) -> Vec<Target> {
        self.targets_as(&msg.recipient, &msg.audience, channel, msg.created_at)
    }

    /// The plain addresses among [`AddressBook::targets_of`].
    fn addresses_of(&self, msg: &Outgoing, channel: Channel) -> Vec<String> {
        plain(self.targets_of(msg, channel))
    }

    /// The plain addresses (phone numbers, e-mail addresses, webhook names) among
    /// [`AddressBook::targets`].
    fn addresses(&self, recipient: &DepartmentId, channel: Channel, at: Timestamp) -> Vec<String> {
        plain(self.targets(recipient, channel, at))
    }

    /// Where a message to the people `audience` names in `recipient` (the workflow's recipient
    /// word kept with the outbox row: `department_duty_leader` names the duty leader, others the
    /// duty officer) goes on `channel` at `at`. A book that knows no people (the settings book)
    /// answers [`AddressBook::targets`].
    fn targets_as(
        &self,
        recipient: &DepartmentId,
        audience: &str,
        channel: Channel,
        at: Timestamp,
    ) -> Vec<Target> {
        let _ = audience;
        self.targets(recipient, channel, at)
    }

    /// The plain addresses among [`AddressBook::targets_as`].
    fn addresses_as(
        &self,
        recipient: &DepartmentId,
        audience: &str,
        channel: Channel,
        at: Timestamp,
    ) -> Vec<String> {
        self.targets_as(recipient, audience, channel, at)
            .into_iter()
            .filter_map(|target| match target {
                Target::Plain(text) => Some(text),
                Target::Endpoint { .. } => None,
            })
            .collect()
    }
}

/// The recipient an outbox row's audience word stands for when asking the directory: the
/// workflow's word (`department_duty_leader`, `city_duty_office`, ...) for `department`, and a
/// department named by id for `department` or a word the workflow language does not know (the
/// duty officer is told).
pub fn audience_recipient(audience: &str, department: &DepartmentId) -> Recipient {
    Recipient::from_word(audience).unwrap_or_else(|| Recipient::Department(department.clone()))
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
    fn targets(&self, recipient: &DepartmentId, channel: Channel, _at: Timestamp) -> Vec<Target> {
        let route = self.routes.get(recipient).unwrap_or(&self.default);
        let plain = match channel {
            Channel::Webhook => &route.webhook,
            Channel::Email => &route.email,
            Channel::Sms => &route.sms,
            Channel::Phone => return Vec::new(),
        };
        plain.iter().cloned().map(Target::Plain).collect()
    }
}

/// The address book of the contacts directory: an outbox row's recipient department resolves
/// at the message's time to its people on duty in the role of the row's audience word (the duty
/// leader for `department_duty_leader`, else the duty officer; by the rosters, else by role)
/// and their addresses on the channel in each person's preferred order, then the department's
/// robots and webhooks (webhook channel). Where the directory names nobody for the department
/// on that channel, the settings book answers.
#[derive(Debug)]
pub struct ContactsAddressBook {
    /// The contacts of the generation in force (replaced on a reload).
    directory: ArcSwap<Directory>,
    /// Where the directory has nobody.
    fallback: SettingsAddressBook,
}

impl ContactsAddressBook {
    /// A book over `directory` (from `contacts::from_generation` of the generation in force),
    /// falling back to `fallback`.
    pub fn new(directory: Directory, fallback: SettingsAddressBook) -> Self {
        ContactsAddressBook {
            directory: ArcSwap::from_pointee(directory),
            fallback,
        }
    }

    /// Puts the contacts of a newly activated generation in force; messages sent from now on
    /// resolve through them.
    pub fn replace(&self, directory: Directory) {
        self.directory.store(Arc::new(directory));
    }
}

/// The book of a deployment: the contacts directory of `generation` when the deployment has
/// contacts files (`city/contacts*.yaml|csv`), with the settings book as fallback; the settings
/// book alone without contacts files (or without a generation). A directory that does not compile
/// (a reload refuses such a generation, so only a hand-made one) keeps the settings book, with
/// an error in the log.
pub fn for_deployment(
    settings: &NotifySettings,
    generation: Option<&Generation>,
) -> Arc<dyn AddressBook> {
    book_of(SettingsAddressBook::new(settings), generation)
}

/// [`for_deployment`] with the settings book already made.
fn book_of(fallback: SettingsAddressBook, generation: Option<&Generation>) -> Arc<dyn AddressBook> {
    let Some(generation) = generation.filter(|g| has_contacts_files(g)) else {
        return Arc::new(fallback);
    };
    match crate::contacts::from_generation(generation) {
        Ok(directory) => Arc::new(ContactsAddressBook::new(directory, fallback)),
        Err(diagnostics) => {
            tracing::error!(
                problems = diagnostics.len(),
                "contacts do not compile; notifications use the notify.addresses settings"
            );
            Arc::new(fallback)
        }
    }
}

/// The address book of a running server: the book of the generation in force
/// ([`for_deployment`]), rebuilt when `generations` answers a different generation than the one
/// it was built for. The runtime passes its gate, which a reload swaps at the same point as the
/// engine, the API and the duty desk, so from the message after a reload on, notifications go to
/// the new contacts and rosters (a phone number changed in `city/contacts.yaml`, a new roster).
/// Messages in flight during the swap finish with the book they started with.
#[derive(Debug)]
pub struct FollowingAddressBook {
    /// Where the directory has nobody (from the settings, which a reload does not change).
    fallback: SettingsAddressBook,
    /// The generation in force.
    generations: Arc<dyn Generations>,
    /// The book of the generation last seen.
    followed: ArcSwap<Followed>,
}

/// A generation and its book.
#[derive(Debug)]
struct Followed {
    generation: Arc<Generation>,
    book: Arc<dyn AddressBook>,
}

impl FollowingAddressBook {
    /// A book following `generations`, falling back to the `notify.addresses` of `settings`.
    pub fn new(settings: &NotifySettings, generations: Arc<dyn Generations>) -> Self {
        let fallback = SettingsAddressBook::new(settings);
        let generation = generations.current();
        let book = book_of(fallback.clone(), Some(&generation));
        FollowingAddressBook {
            fallback,
            generations,
            followed: ArcSwap::from_pointee(Followed { generation, book }),
        }
    }

    /// The book of the generation in force now, built when that generation is new.
    pub fn current(&self) -> Arc<dyn AddressBook> {
        let now = self.generations.current();
        let followed = self.followed.load();
        if Arc::ptr_eq(&followed.generation, &now) {
            return Arc::clone(&followed.book);
        }
        let book = book_of(self.fallback.clone(), Some(&now));
        tracing::info!(
            generation = %now.id,
            previous = %followed.generation.id,
            contacts = has_contacts_files(&now),
            "notifications now address the contacts and rosters of the generation in force"
        );
        self.followed.store(Arc::new(Followed {
            generation: now,
            book: Arc::clone(&book),
        }));
        book
    }
}

impl AddressBook for FollowingAddressBook {
    fn targets(&self, recipient: &DepartmentId, channel: Channel, at: Timestamp) -> Vec<Target> {
        self.current().targets(recipient, channel, at)
    }

    fn targets_as(
        &self,
        recipient: &DepartmentId,
        audience: &str,
        channel: Channel,
        at: Timestamp,
    ) -> Vec<Target> {
        self.current().targets_as(recipient, audience, channel, at)
    }

    fn targets_of(&self, msg: &Outgoing, channel: Channel) -> Vec<Target> {
        self.current().targets_of(msg, channel)
    }
}

/// Whether the generation's sources include a contacts file.
pub fn has_contacts_files(generation: &Generation) -> bool {
    generation
        .sources
        .iter()
        .any(|s| crate::contacts::is_contacts_file(&s.path))
}

/// The targets on `channel` among the directory's addressees of `department` at `at`, in the
/// directory's order (people on duty, each in their preferred order, then the endpoints).
pub fn contacts_targets(
    directory: &Directory,
    department: &DepartmentId,
    channel: Channel,
    at: Timestamp,
) -> Vec<Target> {
    contacts_targets_as(
        directory,
        department,
        crate::model::Notification::DEPARTMENT_AUDIENCE,
        channel,
        at,
    )
}

/// [`contacts_targets`] for the people the audience word names (the duty leader for
/// `department_duty_leader`, falling back to the duty officer when nobody leads).
pub fn contacts_targets_as(
    directory: &Directory,
    department: &DepartmentId,
    audience: &str,
    channel: Channel,
    at: Timestamp,
) -> Vec<Target> {
    let recipient = audience_recipient(audience, department);
    as_targets(
        directory.addressees(&recipient, std::slice::from_ref(department), at),
        channel,
    )
}

/// The targets on `channel` among the directory's drill recipients of `department`
/// (`drill: true` entries only; none when it has no such entry).
pub fn contacts_drill_targets(
    directory: &Directory,
    department: &DepartmentId,
    channel: Channel,
    at: Timestamp,
) -> Vec<Target> {
    let recipient = Recipient::Department(department.clone());
    as_targets(
        directory.drill_addressees(&recipient, std::slice::from_ref(department), at),
        channel,
    )
}

/// The addressees on `channel` as targets, in order.
fn as_targets(addressees: Vec<crate::contacts::Addressee>, channel: Channel) -> Vec<Target> {
    addressees
        .into_iter()
        .filter(|a| a.medium.channel() == channel)
        .map(|a| match a.address {
            Address::Phone(text) | Address::Email(text) => Target::Plain(text),
            Address::Endpoint { name, url, secret } => Target::Endpoint {
                medium: a.medium,
                name,
                url,
                secret,
            },
        })
        .collect()
}

impl AddressBook for ContactsAddressBook {
    fn targets(&self, recipient: &DepartmentId, channel: Channel, at: Timestamp) -> Vec<Target> {
        self.targets_as(
            recipient,
            crate::model::Notification::DEPARTMENT_AUDIENCE,
            channel,
            at,
        )
    }

    fn targets_as(
        &self,
        recipient: &DepartmentId,
        audience: &str,
        channel: Channel,
        at: Timestamp,
    ) -> Vec<Target> {
        let found = contacts_targets_as(&self.directory.load(), recipient, audience, channel, at);
        if found.is_empty() {
            self.fallback.targets(recipient, channel, at)
        } else {
            found
        }
    }

    /// A drill goes only to the department's drill recipients when the directory lists anyone
    /// of the department (nobody if none of them is marked `drill: true`); a department the
    /// directory does not list falls back to the settings book, as for real warnings.
    fn targets_of(&self, msg: &Outgoing, channel: Channel) -> Vec<Target> {
        if !msg.drill {
            return self.targets_as(&msg.recipient, &msg.audience, channel, msg.created_at);
        }
        let directory = self.directory.load();
        if directory.lists_department(&msg.recipient) {
            contacts_drill_targets(&directory, &msg.recipient, channel, msg.created_at)
        } else {
            self.fallback
                .targets(&msg.recipient, channel, msg.created_at)
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
                book.addresses(&DepartmentId::new(department), channel, Timestamp(0)),
                expected,
                "{department} {channel:?}"
            );
            // the settings book knows no people: every word gets the department's addresses
            assert_eq!(
                book.addresses_as(
                    &DepartmentId::new(department),
                    "department_duty_leader",
                    channel,
                    Timestamp(0)
                ),
                expected,
                "{department} {channel:?} as leader"
            );
        }
    }

    #[test]
    fn audience_words_name_the_workflow_recipient_else_the_department() {
        let gas = DepartmentId::new("gas");
        let table = [
            ("department_duty_leader", Recipient::DepartmentDutyLeader),
            ("city_duty_office", Recipient::CityDutyOffice),
            ("district_government", Recipient::DistrictGovernment),
            ("issuing_authority", Recipient::IssuingAuthority),
            ("department", Recipient::Department(gas.clone())),
            ("no_such_word", Recipient::Department(gas.clone())),
            ("", Recipient::Department(gas.clone())),
        ];
        for (word, expected) in table {
            assert_eq!(audience_recipient(word, &gas), expected, "{word}");
        }
    }
}

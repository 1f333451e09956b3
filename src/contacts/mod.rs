//! Who is told: the people of each department and district with their phone, e-mail, roles and
//! preferred channels, each department's work-chat robots and generic webhooks, and the duty
//! rosters saying who is on duty when. [`compile`] reads `city/contacts.yaml` (and
//! `city/contacts.csv`) against a compiled [`crate::model::Generation`] and reports every problem
//! at `file:line:column`; the resulting [`Directory`] turns a workflow's recipient words into the
//! people on duty now and their addresses per channel.
//!
//! Secrets are never held here: a robot's or webhook's secret is a reference `env:NAME` that
//! the notifier reads when it sends.

mod compile;
mod directory;
pub mod oncall;
pub mod raw;
mod roster_check;
mod table;

pub use compile::compile;
pub use directory::{Address, Addressee, Directory};

use std::fmt;

use crate::config::Diagnostic;
use crate::model::{Channel, DepartmentId, DistrictCode, Generation, SourceFile};
pub use crate::roster::PersonId;

pub use crate::config::sources::is_contacts_file;

/// The directory of a generation whose sources include the deployment's contacts files (as
/// read by the loader); a deployment without any still reaches its registry duty contacts.
pub fn from_generation(generation: &Generation) -> Result<Directory, Vec<Diagnostic>> {
    let files: Vec<SourceFile> = generation
        .sources
        .iter()
        .filter(|s| is_contacts_file(&s.path))
        .cloned()
        .collect();
    compile(&files, generation)
}

/// How a person or department is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    /// Text message to `phone`.
    Sms,
    /// Phone call-back (电话叫应) to `phone`.
    Phone,
    /// E-mail to `email`.
    Email,
    /// The department's DingTalk robot.
    Dingtalk,
    /// The department's WeCom robot.
    Wecom,
    /// The department's Feishu robot.
    Feishu,
    /// The department's generic webhook.
    Webhook,
}

impl Medium {
    /// Every medium, in the order of the docs.
    pub const ALL: [Medium; 7] = [
        Medium::Sms,
        Medium::Phone,
        Medium::Email,
        Medium::Dingtalk,
        Medium::Wecom,
        Medium::Feishu,
        Medium::Webhook,
    ];

    /// Stable name used in config and API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Medium::Sms => "sms",
            Medium::Phone => "phone",
            Medium::Email => "email",
            Medium::Dingtalk => "dingtalk",
            Medium::Wecom => "wecom",
            Medium::Feishu => "feishu",
            Medium::Webhook => "webhook",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<Medium> {
        Medium::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The outbox channel that carries it (work-chat robots are webhooks).
    pub const fn channel(self) -> Channel {
        match self {
            Medium::Sms => Channel::Sms,
            Medium::Phone => Channel::Phone,
            Medium::Email => Channel::Email,
            Medium::Dingtalk | Medium::Wecom | Medium::Feishu | Medium::Webhook => Channel::Webhook,
        }
    }
}

impl fmt::Display for Medium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value from configuration that may be written literally or read from the environment when
/// used (`env:NAME`). Secrets are always `Env`.
#[derive(Clone, PartialEq, Eq)]
pub enum Reference {
    /// Written in the file (a URL without credentials).
    Literal(String),
    /// Read from environment variable `NAME` by the notifier.
    Env(String),
}

impl Reference {
    /// `env:NAME` or the literal text.
    pub fn parse(text: &str) -> Reference {
        match text.strip_prefix("env:") {
            Some(name) => Reference::Env(name.trim().to_owned()),
            None => Reference::Literal(text.to_owned()),
        }
    }

    /// The value now: the literal, or the environment variable's value when set.
    pub fn resolve(&self) -> Option<String> {
        match self {
            Reference::Literal(text) => Some(text.clone()),
            Reference::Env(name) => std::env::var(name).ok(),
        }
    }
}

impl serde::Serialize for Reference {
    /// `env:NAME`, or `literal` (a written URL may carry a key, so it is never shown).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Reference::Literal(_) => serializer.serialize_str("literal"),
            Reference::Env(name) => serializer.serialize_str(&format!("env:{name}")),
        }
    }
}

impl fmt::Debug for Reference {
    /// Shows `env:NAME`, or `<literal>` so that a URL carrying a key is never logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Literal(_) => f.write_str("<literal>"),
            Reference::Env(name) => write!(f, "env:{name}"),
        }
    }
}

/// A person who can be told.
#[derive(Clone, Debug)]
pub struct Person {
    /// Stable id.
    pub id: PersonId,
    /// Name shown to people.
    pub name: String,
    /// Their department.
    pub department: DepartmentId,
    /// Their district, for district staff.
    pub district: Option<DistrictCode>,
    /// Role words.
    pub roles: Vec<String>,
    /// Mobile number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Channels in preference order (each has an address).
    pub channels: Vec<Medium>,
    /// For exercises only: told of drills (演练), never of real warnings.
    pub drill: bool,
}

/// A department's work-chat robot or generic webhook.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Department id.
    pub department: DepartmentId,
    /// `Dingtalk`, `Wecom`, `Feishu` or `Webhook`.
    pub medium: Medium,
    /// Name shown to people.
    pub name: String,
    /// Where to post.
    pub url: Reference,
    /// Signing secret reference.
    pub secret: Option<Reference>,
    /// For exercises only: gets drills (演练), never real warnings.
    pub drill: bool,
}

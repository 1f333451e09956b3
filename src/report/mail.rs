//! The daily duty report as an e-mail: the subject with the date in the configured language, the
//! Markdown report as the text part and an HTML part (through `crate::notify::email`, the SMTP
//! channel of the notifications), and a `Message-ID` derived from the report kind and period
//! only, so a report re-sent after a crash carries the same id. Recipients are resolved here:
//! e-mail addresses as written, people of the contacts by their address, departments (and
//! `city_duty_office`, the workflows' city duty office) through the notifications' address book.

use std::sync::Arc;
use std::time::Duration;

use crate::contacts::Directory;
use crate::model::workflow::Channel as ChannelKind;
use crate::model::{DepartmentId, Generation, Level, Timestamp};
use crate::notify::address::{AddressBook, Target};
use crate::notify::channel::{Channel, Delivered, Outgoing, SendError};
use crate::notify::email::EmailChannel;
use crate::notify::settings::EmailSettings;

use super::DailyReport;
use super::markdown;
use super::schedule::{Language, ScheduleError, check_recipient, idempotency_key, is_address};

/// The subject line: `城市安全风险监测预警日报 2026-12-07` or `Daily duty report 2026-12-07`.
pub fn subject(report: &DailyReport, language: Language) -> String {
    match language {
        Language::Chinese => report.title.clone(),
        Language::English => format!("Daily duty report {}", report.date),
    }
}

/// The message of a report run: Markdown body, subject, and the idempotency key of
/// (`kind`, the report's date).
pub fn compose(report: &DailyReport, kind: &str, language: Language, at: Timestamp) -> Outgoing {
    let key = format!("report:{kind}:{}", report.date);
    Outgoing {
        id: 0,
        idempotency_key: idempotency_key(kind, &report.date),
        key,
        attempt: 1,
        warning: 0,
        recipient: DepartmentId::new(RECIPIENT),
        audience: crate::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
        level: Level::Blue,
        drill: false,
        reason: format!("report:{kind}"),
        subject: subject(report, language),
        body: markdown::render(report),
        created_at: at,
        ack_link: None,
    }
}

/// The department id the composed message is addressed to; [`Recipients`] answers for it.
const RECIPIENT: &str = "report";

/// Checks every recipient against the city's departments and the contacts' people.
pub fn check_recipients(
    to: &[String],
    generation: &Generation,
    directory: Option<&Directory>,
) -> Result<(), ScheduleError> {
    for recipient in to {
        check_recipient(
            recipient,
            |id| generation.department(id).is_some(),
            |id| directory.is_some_and(|d| d.person(id).is_some()),
        )?;
    }
    Ok(())
}

/// The e-mail addresses of `to` at `at`, in order, without repeats. Departments resolve through
/// `book` (contacts and duty rosters, else `notify.addresses`); unknown words give nothing.
pub fn resolve(
    to: &[String],
    generation: &Generation,
    directory: Option<&Directory>,
    book: &dyn AddressBook,
    at: Timestamp,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |address: String| {
        if !out.contains(&address) {
            out.push(address);
        }
    };
    for recipient in to {
        if is_address(recipient) {
            push(recipient.clone());
        } else if recipient == "city_duty_office" {
            for workflow in &generation.workflows {
                for address in book.addresses(&workflow.city_duty_office, ChannelKind::Email, at) {
                    push(address);
                }
            }
        } else if generation.department(recipient).is_some() {
            let department = DepartmentId::new(recipient.as_str());
            for address in book.addresses(&department, ChannelKind::Email, at) {
                push(address);
            }
        } else if let Some(email) = directory
            .and_then(|d| d.person(recipient))
            .and_then(|person| person.email.clone())
        {
            push(email);
        }
    }
    out
}

/// An address book with one fixed list of e-mail addresses for the report.
#[derive(Debug)]
struct Recipients(Vec<String>);

impl AddressBook for Recipients {
    fn targets(
        &self,
        _recipient: &DepartmentId,
        channel: ChannelKind,
        _at: Timestamp,
    ) -> Vec<Target> {
        if channel == ChannelKind::Email {
            self.0.iter().cloned().map(Target::Plain).collect()
        } else {
            Vec::new()
        }
    }
}

/// Sends `message` to `addresses` through the SMTP channel of `email`.
pub async fn send(
    email: &EmailSettings,
    timeout: Duration,
    addresses: Vec<String>,
    message: &Outgoing,
) -> Result<Delivered, SendError> {
    let channel = EmailChannel::new(email, timeout, Arc::new(Recipients(addresses)))?;
    channel.send(message).await
}

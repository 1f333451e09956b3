//! Escalation on *undelivered*: when a row dies, the same message is queued on the next channels
//! of the escalation order (`sms` dead -> `phone` call task and the duty desk's `webhook`). Pure:
//! the worker stores the rows this returns in the same transaction that marks the row dead.
//!
//! The new rows' keys extend the dead row's (`<key>:undelivered:<channel>`), so a dead row
//! escalated twice (after a crash) queues nothing new, and a channel already tried in the chain is
//! never tried again, so an order with a cycle still ends.

use std::collections::BTreeMap;

use crate::model::workflow::Channel;
use crate::model::{Notification, Timestamp};

/// The marker between a key and the channel it escalated to.
const MARK: &str = ":undelivered:";

/// Channels a row's chain has already used: its own, and every channel its key escalated from.
fn tried(row: &Notification) -> Vec<Channel> {
    let mut channels = vec![row.channel];
    let mut parts = row.key.split(MARK);
    parts.next();
    channels.extend(parts.filter_map(Channel::parse));
    // The root row's channel is the last segment of the root key (`...:sms`) when keys follow
    // the workflow's shape; harmless when they do not.
    if let Some(root) = row.key.split(MARK).next()
        && let Some(last) = root.rsplit(':').next()
        && let Some(channel) = Channel::parse(last)
    {
        channels.push(channel);
    }
    channels
}

/// Rows to queue when `row` dies at `now`, following `order` for its channel.
pub fn escalations(
    row: &Notification,
    order: &BTreeMap<Channel, Vec<Channel>>,
    now: Timestamp,
) -> Vec<Notification> {
    let tried = tried(row);
    let from = row.channel.as_str();
    order
        .get(&row.channel)
        .into_iter()
        .flatten()
        .filter(|next| !tried.contains(next))
        .map(|next| Notification {
            key: format!("{}{MARK}{}", row.key, next.as_str()),
            warning: row.warning,
            recipient: row.recipient.clone(),
            audience: row.audience.clone(),
            channel: *next,
            level: row.level,
            drill: row.drill,
            reason: format!("undelivered:{from}"),
            subject: row.subject.clone(),
            body: format!(
                "{}\n\n（经{}未能送达，改由{}通知 / undelivered by {from}）",
                row.body,
                zh(row.channel),
                zh(*next)
            ),
            created_at: now,
        })
        .collect()
}

/// The channel's name for people, in Chinese.
fn zh(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "短信",
        Channel::Email => "电子邮件",
        Channel::Webhook => "工作群机器人",
        Channel::Phone => "电话叫应",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Level;

    fn row(key: &str, channel: Channel) -> Notification {
        Notification {
            key: key.to_owned(),
            warning: 7,
            recipient: "gas".into(),
            audience: crate::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
            channel,
            level: Level::Red,
            drill: true,
            reason: "issued".to_owned(),
            subject: "【演练】红色预警".to_owned(),
            body: "body".to_owned(),
            created_at: Timestamp(1),
        }
    }

    fn order() -> BTreeMap<Channel, Vec<Channel>> {
        [
            (Channel::Sms, vec![Channel::Phone, Channel::Webhook]),
            (Channel::Webhook, vec![Channel::Sms, Channel::Phone]),
            (Channel::Phone, vec![]),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn a_dead_row_goes_to_the_next_channels_not_yet_tried() {
        let table: [(&str, Channel, &[&str]); 5] = [
            (
                "w7:issued:1:gas:sms",
                Channel::Sms,
                &[
                    "w7:issued:1:gas:sms:undelivered:phone",
                    "w7:issued:1:gas:sms:undelivered:webhook",
                ],
            ),
            // the webhook escalated from sms must not go back to sms, only to phone (tried? no)
            (
                "w7:issued:1:gas:sms:undelivered:webhook",
                Channel::Webhook,
                &["w7:issued:1:gas:sms:undelivered:webhook:undelivered:phone"],
            ),
            // a root webhook row may try sms and phone
            (
                "w7:issued:1:gas:webhook",
                Channel::Webhook,
                &[
                    "w7:issued:1:gas:webhook:undelivered:sms",
                    "w7:issued:1:gas:webhook:undelivered:phone",
                ],
            ),
            ("w7:issued:1:gas:phone", Channel::Phone, &[]),
            ("w7:issued:1:gas:email", Channel::Email, &[]),
        ];
        for (key, channel, expected) in table {
            let keys: Vec<String> = escalations(&row(key, channel), &order(), Timestamp(9))
                .into_iter()
                .map(|n| n.key)
                .collect();
            assert_eq!(keys, expected, "{key}");
        }
    }

    #[test]
    fn an_escalation_keeps_the_message_and_says_why() {
        let out = escalations(&row("k:sms", Channel::Sms), &order(), Timestamp(9));
        let phone = &out[0];
        assert_eq!(phone.channel, Channel::Phone);
        assert_eq!(phone.reason, "undelivered:sms");
        assert_eq!(phone.created_at, Timestamp(9));
        assert!(phone.drill && phone.subject.starts_with("【演练】"));
        assert!(phone.body.starts_with("body") && phone.body.contains("短信"));
    }
}

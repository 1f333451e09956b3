//! Phone call tasks a duty officer marks (电话叫应 without a voice provider, `POST
//! /api/v1/outbox/{id}/call`): what marking a call's outcome does, as a pure function of the
//! outcome and the outbox row's channel and status ([`decide`]).
//!
//! - `placed` and `answered` record only. An answered call does not acknowledge the case:
//!   acknowledging is the person's workflow action, with its own roles and audit.
//! - `no_answer` and `wrong_number` escalate like an undelivered message: the caller queues the
//!   rows [`super::escalation::escalations`] gives for the row (the next channels of the
//!   `escalation` order not yet tried in the chain; keys extend the row's, so marking twice
//!   queues nothing new).
//! - A row of another channel, or a suppressed row (a silence covers it: nobody is asked to
//!   call), is refused ([`CallRefusal`]).

use crate::model::AuditAction;
use crate::model::workflow::Channel;
pub use crate::storage::CallOutcome;
use crate::storage::DeliveryStatus;

/// What marking an outcome does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The audit action recorded (filed under the row's warning).
    pub audit: AuditAction,
    /// Whether the message goes on to the next channels, as when undelivered.
    pub escalate: bool,
}

/// Why a mark is refused (`not_a_call_task`, HTTP 409).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallRefusal {
    /// The row is not a phone call task: it goes out on this channel.
    NotPhone(Channel),
    /// The row is suppressed (a silence covers it), so nobody is asked to call.
    Suppressed,
}

impl std::fmt::Display for CallRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallRefusal::NotPhone(channel) => write!(
                f,
                "it is a `{}` notification; only `phone` rows are call tasks",
                channel.as_str()
            ),
            CallRefusal::Suppressed => {
                f.write_str("it is suppressed by a silence; nobody is asked to call")
            }
        }
    }
}

/// What marking `outcome` on a row of `channel` in `status` does.
///
/// A row whose call task is still queued or being put on the desk may be marked (the officer
/// may call before the task appears); so may a failed or dead voice call-back, which the officer
/// then places by hand.
pub fn decide(
    outcome: CallOutcome,
    channel: Channel,
    status: DeliveryStatus,
) -> Result<Decision, CallRefusal> {
    if channel != Channel::Phone {
        return Err(CallRefusal::NotPhone(channel));
    }
    if status == DeliveryStatus::Suppressed {
        return Err(CallRefusal::Suppressed);
    }
    Ok(match outcome {
        CallOutcome::Placed => Decision {
            audit: AuditAction::NotifyCallPlaced,
            escalate: false,
        },
        CallOutcome::Answered => Decision {
            audit: AuditAction::NotifyCallAnswered,
            escalate: false,
        },
        CallOutcome::NoAnswer => Decision {
            audit: AuditAction::NotifyCallUnanswered,
            escalate: true,
        },
        CallOutcome::WrongNumber => Decision {
            audit: AuditAction::NotifyCallWrongNumber,
            escalate: true,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_records_and_escalates_only_when_nobody_was_told() {
        use CallOutcome::{Answered, NoAnswer, Placed, WrongNumber};
        use DeliveryStatus::{Dead, Delivered, Failed, Queued, Sending, Suppressed};
        let ok = |audit, escalate| Ok(Decision { audit, escalate });
        let table = [
            (
                Placed,
                Channel::Phone,
                Delivered,
                ok(AuditAction::NotifyCallPlaced, false),
            ),
            (
                Placed,
                Channel::Phone,
                Queued,
                ok(AuditAction::NotifyCallPlaced, false),
            ),
            (
                Answered,
                Channel::Phone,
                Delivered,
                ok(AuditAction::NotifyCallAnswered, false),
            ),
            (
                Answered,
                Channel::Phone,
                Sending,
                ok(AuditAction::NotifyCallAnswered, false),
            ),
            (
                NoAnswer,
                Channel::Phone,
                Delivered,
                ok(AuditAction::NotifyCallUnanswered, true),
            ),
            (
                NoAnswer,
                Channel::Phone,
                Dead,
                ok(AuditAction::NotifyCallUnanswered, true),
            ),
            (
                WrongNumber,
                Channel::Phone,
                Delivered,
                ok(AuditAction::NotifyCallWrongNumber, true),
            ),
            (
                WrongNumber,
                Channel::Phone,
                Failed,
                ok(AuditAction::NotifyCallWrongNumber, true),
            ),
            (
                Answered,
                Channel::Phone,
                Suppressed,
                Err(CallRefusal::Suppressed),
            ),
            (
                NoAnswer,
                Channel::Phone,
                Suppressed,
                Err(CallRefusal::Suppressed),
            ),
            (
                Placed,
                Channel::Webhook,
                Delivered,
                Err(CallRefusal::NotPhone(Channel::Webhook)),
            ),
            (
                NoAnswer,
                Channel::Sms,
                Dead,
                Err(CallRefusal::NotPhone(Channel::Sms)),
            ),
            (
                Answered,
                Channel::Email,
                Queued,
                Err(CallRefusal::NotPhone(Channel::Email)),
            ),
            // another channel is refused even when suppressed: the channel is checked first
            (
                Placed,
                Channel::Sms,
                Suppressed,
                Err(CallRefusal::NotPhone(Channel::Sms)),
            ),
        ];
        for (outcome, channel, status, expected) in table {
            assert_eq!(
                decide(outcome, channel, status),
                expected,
                "{outcome:?} on {channel:?} {status:?}"
            );
        }
    }

    #[test]
    fn outcome_names_round_trip_and_unknown_names_are_none() {
        for outcome in CallOutcome::ALL {
            assert_eq!(CallOutcome::parse(outcome.as_str()), Some(outcome));
            assert_eq!(
                serde_json::to_value(outcome).unwrap(),
                serde_json::json!(outcome.as_str())
            );
        }
        assert_eq!(CallOutcome::parse("hung_up"), None);
        assert_eq!(CallOutcome::parse("Answered"), None);
    }

    #[test]
    fn a_refusal_says_why_in_words() {
        assert!(
            CallRefusal::NotPhone(Channel::Webhook)
                .to_string()
                .contains("`webhook`")
        );
        assert!(CallRefusal::Suppressed.to_string().contains("silence"));
    }
}

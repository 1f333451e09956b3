//! The phone call-back channel (电话叫应) without a voice provider: the call becomes a task on the
//! duty desk. "Delivered" here means the task is on the desk's list (`GET /api/v1/outbox`,
//! channel `phone`), tracked like any delivery; a duty officer places the call. It never fails,
//! so escalation chains end here.

use async_trait::async_trait;

use crate::model::workflow::Channel as ChannelKind;

use super::channel::{Channel, Delivered, Outgoing, SendError};

/// The duty-desk call task channel.
#[derive(Clone, Copy, Debug, Default)]
pub struct DutyDeskCalls;

#[async_trait]
impl Channel for DutyDeskCalls {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Phone
    }

    async fn send(&self, msg: &Outgoing) -> Result<Delivered, SendError> {
        Ok(Delivered {
            endpoint: "duty-desk".to_owned(),
            provider_id: Some(format!("call-task:{}", msg.id)),
        })
    }
}

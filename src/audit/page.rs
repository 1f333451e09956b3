//! Paging through the audit log for people (the API and `tocsin audit list`): one page of entries
//! matching a filter, in `seq` order, and the `seq` to ask for the next page after. One entry more
//! than asked is read, so the last page says so itself instead of leaving an empty page to fetch.

use crate::model::AuditEntry;
use crate::storage::{AuditFilter, AuditStore, StoreError};

/// One page of the log.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage<T> {
    /// The entries, in `seq` order.
    pub entries: Vec<T>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next_after: Option<i64>,
}

/// The entries matching `filter`, at most `filter.limit` of them (at least one; `0` is taken as
/// one), and where the next page starts.
pub async fn page<S>(store: &S, filter: &AuditFilter) -> Result<AuditPage<AuditEntry>, StoreError>
where
    S: AuditStore + Sync + ?Sized,
{
    let limit = filter.limit.max(1);
    let probe = AuditFilter {
        limit: limit.saturating_add(1),
        ..filter.clone()
    };
    let mut entries = store.audit(&probe).await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_after = if more {
        entries.last().map(|entry| entry.seq)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_after,
    })
}

impl<T> AuditPage<T> {
    /// The same page with every entry converted.
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> AuditPage<U> {
        AuditPage {
            entries: self.entries.into_iter().map(convert).collect(),
            next_after: self.next_after,
        }
    }
}

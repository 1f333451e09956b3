//! Reads from the store the warnings a day's report can need: every open one, every one changed
//! since the day began, every case still in a non-terminal stage (cleared but not yet closed),
//! and every warning whose case moved since the day began (a closure changes the case, not the
//! warning). [`super::daily`] then keeps what the day concerns; fetching a little more is
//! harmless, missing one is not.

use std::collections::BTreeMap;

use crate::model::{AuditAction, Generation};
use crate::storage::{AuditFilter, Store, StoreError, WarningFilter, WarningRecord, WarningState};

use super::Day;

/// The warnings (real and drills) that can matter for `day`, by id.
pub async fn collect(
    store: &dyn Store,
    generation: &Generation,
    day: Day,
) -> Result<Vec<WarningRecord>, StoreError> {
    let start = day.start();
    let mut filters = vec![
        WarningFilter {
            state: Some(WarningState::Open),
            ..WarningFilter::default()
        },
        WarningFilter {
            since: Some(start),
            ..WarningFilter::default()
        },
    ];
    let mut stages: Vec<&str> = generation
        .workflows
        .iter()
        .flat_map(|workflow| workflow.stages.iter())
        .filter(|stage| !stage.terminal)
        .map(|stage| stage.id.as_str())
        .collect();
    stages.sort_unstable();
    stages.dedup();
    filters.extend(stages.into_iter().map(|stage| WarningFilter {
        stage: Some(stage.to_owned()),
        ..WarningFilter::default()
    }));

    let mut found: BTreeMap<i64, WarningRecord> = BTreeMap::new();
    for filter in &filters {
        for warning in store.warnings(filter).await? {
            found.entry(warning.id).or_insert(warning);
        }
    }
    for action in [AuditAction::Transition, AuditAction::AutoTransition] {
        let filter = AuditFilter {
            action: Some(action.as_str().to_owned()),
            since: Some(start),
            ..AuditFilter::default()
        };
        let moved: Vec<i64> = store
            .audit(&filter)
            .await?
            .into_iter()
            .filter_map(|entry| entry.warning)
            .collect();
        for id in moved {
            if found.contains_key(&id) {
                continue;
            }
            if let Some(detail) = store.warning(id).await? {
                found.insert(id, detail.warning);
            }
        }
    }
    Ok(found.into_values().collect())
}

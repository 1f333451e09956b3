//! Which warnings a user may see and act on. Department users see the warnings of their
//! department (as lead department, or issued to it); district users those of their district;
//! everyone else with read access sees all.

use crate::model::{Principal, Role};
use crate::storage::{WarningFilter, WarningRecord};

/// True when `principal` may see (and, role permitting, act on) `warning`.
pub fn may_see(principal: &Principal, warning: &WarningRecord) -> bool {
    match principal.role {
        Role::Admin | Role::RuleEditor | Role::DutyOfficer | Role::Auditor => true,
        Role::DepartmentUser => principal.department.as_ref().is_some_and(|department| {
            warning.department == *department
                || warning
                    .case
                    .as_ref()
                    .is_some_and(|case| case.issued_to.contains(department))
        }),
        Role::DistrictUser => principal
            .district
            .as_ref()
            .is_some_and(|district| warning.district == *district),
        Role::IngestClient => false,
    }
}

/// Narrows a warning filter to what `principal` may see (the store then never returns others).
pub fn narrow(principal: &Principal, filter: &mut WarningFilter) {
    match principal.role {
        Role::DepartmentUser => {
            filter.visible_to_department = Some(
                principal
                    .department
                    .clone()
                    .unwrap_or_else(|| "\u{0}no-department".into()),
            );
        }
        Role::DistrictUser => {
            filter.district = Some(
                principal
                    .district
                    .clone()
                    .unwrap_or_else(|| "\u{0}no-district".into()),
            );
        }
        _ => {}
    }
}

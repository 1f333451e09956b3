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

/// A district no warning has (codes are six digits): what a district user's filter becomes when
/// it asks for another district than its own, or has none. No NUL byte: PostgreSQL refuses those
/// in text.
const NO_DISTRICT: &str = "(no district)";

/// A department no warning has, for a department user without one.
const NO_DEPARTMENT: &str = "(no department)";

/// Narrows a warning filter to what `principal` may see (the store then never returns others).
/// Narrowing intersects: a district user asking for another district gets nothing, not its own.
pub fn narrow(principal: &Principal, filter: &mut WarningFilter) {
    match principal.role {
        Role::DepartmentUser => {
            filter.visible_to_department = Some(
                principal
                    .department
                    .clone()
                    .unwrap_or_else(|| NO_DEPARTMENT.into()),
            );
        }
        Role::DistrictUser => {
            let own = principal.district.clone();
            filter.district = match (own, filter.district.take()) {
                (Some(own), None) => Some(own),
                (Some(own), Some(asked)) if asked == own => Some(own),
                _ => Some(NO_DISTRICT.into()),
            };
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DistrictCode;

    fn district_user(district: Option<&str>) -> Principal {
        Principal {
            user: 1,
            name: "d".to_owned(),
            role: Role::DistrictUser,
            department: None,
            district: district.map(DistrictCode::from),
        }
    }

    #[test]
    fn a_district_filter_is_intersected_with_the_users_district() {
        let table: &[(Option<&str>, Option<&str>, &str)] = &[
            (Some("210102"), None, "210102"),
            (Some("210102"), Some("210102"), "210102"),
            (Some("210102"), Some("210103"), NO_DISTRICT),
            (None, Some("210103"), NO_DISTRICT),
            (None, None, NO_DISTRICT),
        ];
        for (own, asked, expected) in table {
            let mut filter = WarningFilter {
                district: asked.map(DistrictCode::from),
                ..WarningFilter::default()
            };
            narrow(&district_user(*own), &mut filter);
            assert_eq!(
                filter.district.as_ref().map(|d| d.as_str()),
                Some(*expected),
                "{own:?} asking {asked:?}"
            );
        }
    }
}

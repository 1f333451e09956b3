//! The hysteresis of a scripted rule: the script names a level on each reading; a higher level is
//! taken at once, a lower one only after the script has kept saying lower for the rule's
//! `clear.after` (event time), so a script that wavers does not make its warning flap.

use crate::model::Level;

use super::build::RulePlan;
use super::state::Binding;
use super::threshold;

/// The binding's new level given the script's `verdict` at event time `ts`.
pub(crate) fn settle(
    binding: &mut Binding,
    plan: &RulePlan,
    verdict: Option<Level>,
    ts: i64,
) -> Option<Level> {
    threshold::settle(
        binding.level,
        verdict,
        ts,
        &mut binding.clear_since,
        plan.clear_after_ms,
        |level| verdict < Some(level),
    )
}

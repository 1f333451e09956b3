//! Escalation timers: rungs at exact multiples of the limit, several overdue rungs after a
//! downtime in one step, and who holds the warning afterwards.

use serde_json::json;

use super::fixture::*;
use crate::model::{Due, Level, Timestamp};
use crate::workflow::Event;

#[test]
fn rungs_fire_at_exact_multiples_of_the_limit() {
    // (level, issued at minute, rung due minutes)
    for (level, due) in [(Level::Red, [7, 12, 17]), (Level::Yellow, [32, 62, 92])] {
        let desk = Desk::new(level);
        let mut case = desk.issued(2);
        let issued_to = case.issued_to.clone();
        for (rung, minute) in due.into_iter().enumerate() {
            assert_eq!(
                case.due,
                Some(Due {
                    at: at(minute),
                    rung: rung as u32
                }),
                "{level}"
            );
            // a millisecond early: nothing
            let early = desk
                .step_at(
                    Some(&case),
                    Event::Timer,
                    Timestamp(at(minute).millis() - 1),
                )
                .unwrap();
            assert_eq!(early.case, case, "{level} rung {rung}");
            assert!(early.audit.is_empty() && early.notifications.is_empty());
            let step = desk.step(Some(&case), Event::Timer, minute).unwrap();
            assert_eq!(step.audit[0].action.as_str(), "timer.fired");
            assert_eq!(step.audit[0].actor, "system:timer");
            assert_eq!(step.audit[0].detail["rung"], rung);
            assert_eq!(step.audit[0].detail["stage"], "issued");
            assert_eq!(step.audit[0].detail["due_at"], at(minute).millis());
            assert_eq!(step.case.rungs_fired, rung as u32 + 1);
            let reason = if rung == 2 {
                "supervision"
            } else {
                "escalation"
            };
            assert!(step.notifications.iter().all(|n| n.reason == reason));
            let expected: Vec<String> = match rung {
                // 1x: the original recipients again
                0 => ids(&issued_to),
                // 2x: the lead department's duty leader and the district government
                1 => vec!["construction".to_owned(), "heping.government".to_owned()],
                _ => vec!["duty_office".to_owned()],
            };
            assert_eq!(recipients(&step), expected, "{level} rung {rung}");
            assert_eq!(step.case.supervised, rung == 2);
            case = step.case;
        }
        assert_eq!(case.due, None);
        // nothing left: a timer is a no-op
        let idle = desk.step(Some(&case), Event::Timer, 500).unwrap();
        assert_eq!(idle.case, case);
        assert!(idle.audit.is_empty());
    }
}

#[test]
fn the_first_rung_re_notifies_on_the_rung_channels_with_its_own_keys() {
    let desk = Desk::new(Level::Red);
    let case = desk.issued(2);
    let step = desk.step(Some(&case), Event::Timer, 7).unwrap();
    // the six issued_to departments on sms and phone
    assert_eq!(step.notifications.len(), 12);
    assert_eq!(
        step.notifications[0].key,
        format!("w12:escalation:issued:{}:construction:sms", at(7).millis())
    );
    assert_eq!(step.audit[0].detail["overdue_ms"], 0);
    assert_eq!(step.audit[0].detail["label"], "重复叫应");
}

#[test]
fn overdue_rungs_after_a_downtime_fire_in_order_in_one_step() {
    let desk = Desk::new(Level::Red);
    let case = desk.issued(2);
    let step = desk.step(Some(&case), Event::Timer, 20).unwrap();
    let fired: Vec<_> = step
        .audit
        .iter()
        .filter(|a| a.action.as_str() == "timer.fired")
        .map(|a| (a.detail["rung"].clone(), a.detail["overdue_ms"].clone()))
        .collect();
    // all three, each 13 minutes past the 5 minute limit that ended at 7m
    assert_eq!(
        fired,
        [
            (json!(0), json!(13 * MIN)),
            (json!(1), json!(13 * MIN)),
            (json!(2), json!(13 * MIN))
        ]
    );
    assert_eq!(step.notifications.len(), 12 + 4 + 2);
    let mut keys: Vec<&str> = step.notifications.iter().map(|n| n.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 18, "two rungs in one step must not share a key");
    assert!(step.case.supervised);
    assert_eq!((step.case.rungs_fired, step.case.due), (3, None));
    assert!(step.notifications.iter().all(|n| n.created_at == at(20)));
}

#[test]
fn escalation_widens_who_holds_the_warning() {
    let desk = Desk::new(Level::Yellow);
    let case = desk.issued(2);
    assert_eq!(
        ids(&case.issued_to),
        [
            "construction",
            "gas_company",
            "heping.government",
            "monitoring"
        ]
    );
    let step = desk.step(Some(&case), Event::Timer, 92).unwrap();
    assert_eq!(
        ids(&step.case.issued_to),
        [
            "construction",
            "duty_office",
            "gas_company",
            "heping.government",
            "monitoring"
        ]
    );
}

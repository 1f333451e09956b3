//! Silences and maintenance windows (静默, 维护窗口): a person says "do not notify about this
//! asset / sensor / district / domain / hazard until then, because ...". A silence suppresses
//! NOTIFICATIONS only: the warning, its case and its outbox row stay; the worker marks the row
//! `suppressed` with the silence id and audits `notify.suppressed`, so it shows in the warning's
//! timeline.
//!
//! The decisions are pure functions of this module, tested from tables:
//! - [`suppresses`]: does a silence suppress a notification of a warning with these facts, at this
//!   level, at this clock time? Active (`starts_at <= at < end`), every matcher it names equal,
//!   and for a red warning: confirmed by a second person.
//! - [`check_new`], [`check_confirm`], [`check_expire`]: what a person may ask of a silence.
//!
//! A silence that ends (or is expired early) does not re-send what it suppressed: rows it marked
//! `suppressed` stay so, and only notifications the workflow queues afterwards (a raise, an
//! escalation rung, a re-issue) go out. Unlike Alertmanager, which notifies again on the next
//! evaluation, Tocsin's outbox rows are events, not states: re-sending a suppressed "issued" hours
//! later would tell people of an event that is past. The duty desk sees the suppressed rows in
//! `GET /api/v1/outbox?status=suppressed` and the `notify.suppressed` entries of the timeline.

use crate::model::{AssetId, DistrictCode, DomainId, HazardId, Level, SensorId, Timestamp};

/// Silence or planned maintenance window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SilenceKind {
    /// Starts at once (at the latest now).
    Silence,
    /// May be planned ahead (its start may be later than now).
    Maintenance,
}

impl SilenceKind {
    /// Stable name used in store, API and CLI.
    pub const fn as_str(self) -> &'static str {
        match self {
            SilenceKind::Silence => "silence",
            SilenceKind::Maintenance => "maintenance",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<SilenceKind> {
        [SilenceKind::Silence, SilenceKind::Maintenance]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// What a silence matches: every matcher it names must be equal; one it leaves out matches
/// anything. At least one is required (a silence of everything is refused).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Matchers {
    /// The asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<AssetId>,
    /// The sensor of the warning's last change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor: Option<SensorId>,
    /// The responsible district.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<DistrictCode>,
    /// The domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainId>,
    /// The hazard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hazard: Option<HazardId>,
}

impl Matchers {
    /// True when it names no matcher.
    pub fn is_empty(&self) -> bool {
        self.asset.is_none()
            && self.sensor.is_none()
            && self.district.is_none()
            && self.domain.is_none()
            && self.hazard.is_none()
    }

    /// True when every matcher it names equals the warning's fact.
    pub fn cover(&self, facts: &WarningFacts) -> bool {
        fn eq<T: PartialEq>(matcher: Option<&T>, fact: &T) -> bool {
            matcher.is_none_or(|m| m == fact)
        }
        eq(self.asset.as_ref(), &facts.asset)
            && eq(self.sensor.as_ref(), &facts.sensor)
            && eq(self.district.as_ref(), &facts.district)
            && eq(self.domain.as_ref(), &facts.domain)
            && eq(self.hazard.as_ref(), &facts.hazard)
    }
}

/// What a silence is matched against: the warning's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarningFacts {
    /// The asset.
    pub asset: AssetId,
    /// The sensor of its last change.
    pub sensor: SensorId,
    /// The responsible district.
    pub district: DistrictCode,
    /// The domain.
    pub domain: DomainId,
    /// The hazard.
    pub hazard: HazardId,
}

/// A silence as a person asks for it (API, CLI), before it is checked and stored.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSilence {
    /// Silence or maintenance.
    pub kind: SilenceKind,
    /// What it matches.
    pub matchers: Matchers,
    /// Clock time it starts (`None`: now).
    pub starts_at: Option<Timestamp>,
    /// Clock time it ends (required).
    pub ends_at: Timestamp,
    /// Why, for people.
    pub reason: String,
    /// Who asks (`user:<id>` or the CLI's `--author`).
    pub author: String,
}

/// A stored silence.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Silence {
    /// Store-assigned id.
    pub id: i64,
    /// Silence or maintenance.
    pub kind: SilenceKind,
    /// What it matches.
    pub matchers: Matchers,
    /// Clock time it starts.
    pub starts_at: Timestamp,
    /// Clock time it ends, as asked.
    pub ends_at: Timestamp,
    /// Why.
    pub reason: String,
    /// Who asked.
    pub author: String,
    /// Clock time it was stored.
    pub created_at: Timestamp,
    /// The second person who confirmed it (needed to suppress red warnings).
    pub confirmed_by: Option<String>,
    /// When.
    pub confirmed_at: Option<Timestamp>,
    /// Who ended it early.
    pub expired_by: Option<String>,
    /// When it was ended early.
    pub expired_at: Option<Timestamp>,
}

impl Silence {
    /// When it stops suppressing: its end, or when it was expired if that came first.
    pub fn end(&self) -> Timestamp {
        match self.expired_at {
            Some(expired) if expired < self.ends_at => expired,
            _ => self.ends_at,
        }
    }

    /// Active at `at`: started and not ended.
    pub fn active_at(&self, at: Timestamp) -> bool {
        self.starts_at <= at && at < self.end()
    }

    /// Where it stands at `at`.
    pub fn state(&self, at: Timestamp) -> SilenceState {
        if at < self.starts_at {
            SilenceState::Pending
        } else if at < self.end() {
            SilenceState::Active
        } else {
            SilenceState::Ended
        }
    }
}

/// Where a silence stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SilenceState {
    /// Planned: not started yet.
    Pending,
    /// Suppressing.
    Active,
    /// Ended (its end time passed, or expired early).
    Ended,
}

/// Whether `silence` suppresses a notification about a warning with `facts` at `level`, at clock
/// time `at`: active, every matcher equal, and, for a red warning, confirmed by a second person.
pub fn suppresses(silence: &Silence, facts: &WarningFacts, level: Level, at: Timestamp) -> bool {
    silence.active_at(at)
        && silence.matchers.cover(facts)
        && (level != Level::Red || silence.confirmed_by.is_some())
}

/// The first (lowest id) of `silences` that suppresses the notification, if any.
pub fn suppressing<'a>(
    silences: &'a [Silence],
    facts: &WarningFacts,
    level: Level,
    at: Timestamp,
) -> Option<&'a Silence> {
    silences
        .iter()
        .filter(|s| suppresses(s, facts, level, at))
        .min_by_key(|s| s.id)
}

/// Why a request about a silence is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    /// The request is not a valid silence (no matcher, end not after start, no reason, ...).
    #[error("{0}")]
    Invalid(String),
    /// Its author tried to confirm it.
    #[error("silence {id} was asked for by {author}; a second person must confirm it")]
    SelfConfirmation {
        /// The silence.
        id: i64,
        /// Its author.
        author: String,
    },
    /// It has ended (or was expired); nothing can change it any more.
    #[error("silence {0} has ended")]
    Ended(i64),
    /// It was already confirmed.
    #[error("silence {id} was already confirmed by {by}")]
    AlreadyConfirmed {
        /// The silence.
        id: i64,
        /// Who confirmed it.
        by: String,
    },
}

/// Checks a new silence at clock time `now`; answers its start.
pub fn check_new(new: &NewSilence, now: Timestamp) -> Result<Timestamp, SilenceError> {
    let invalid = |text: &str| Err(SilenceError::Invalid(text.to_owned()));
    if new.matchers.is_empty() {
        return invalid(
            "a silence needs at least one matcher: asset, sensor, district, domain or hazard",
        );
    }
    if new.reason.trim().is_empty() {
        return invalid("a silence needs a reason");
    }
    if new.author.trim().is_empty() {
        return invalid("a silence needs an author");
    }
    let starts_at = new.starts_at.unwrap_or(now);
    if new.kind == SilenceKind::Silence && starts_at > now {
        return invalid("a silence starts at once; plan a later start as kind `maintenance`");
    }
    if new.ends_at <= starts_at {
        return invalid("a silence's end must be after its start");
    }
    if new.ends_at <= now {
        return invalid("a silence's end must be in the future");
    }
    Ok(starts_at)
}

/// Whether `by` may confirm `silence` at `now`: a second person, while it has not ended.
pub fn check_confirm(silence: &Silence, by: &str, now: Timestamp) -> Result<(), SilenceError> {
    if silence.state(now) == SilenceState::Ended {
        return Err(SilenceError::Ended(silence.id));
    }
    if let Some(confirmed) = &silence.confirmed_by {
        return Err(SilenceError::AlreadyConfirmed {
            id: silence.id,
            by: confirmed.clone(),
        });
    }
    if silence.author == by {
        return Err(SilenceError::SelfConfirmation {
            id: silence.id,
            author: silence.author.clone(),
        });
    }
    Ok(())
}

/// Whether a silence can be expired at `now`: not already ended.
pub fn check_expire(silence: &Silence, now: Timestamp) -> Result<(), SilenceError> {
    if silence.state(now) == SilenceState::Ended {
        return Err(SilenceError::Ended(silence.id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> WarningFacts {
        WarningFacts {
            asset: "pipe-1".into(),
            sensor: "s-1".into(),
            district: "210102".into(),
            domain: "gas".into(),
            hazard: "leak".into(),
        }
    }

    fn silence(matchers: Matchers, confirmed: bool, expired_at: Option<i64>) -> Silence {
        Silence {
            id: 1,
            kind: SilenceKind::Silence,
            matchers,
            starts_at: Timestamp(1_000),
            ends_at: Timestamp(5_000),
            reason: "valve work".into(),
            author: "user:1".into(),
            created_at: Timestamp(1_000),
            confirmed_by: confirmed.then(|| "user:2".to_owned()),
            confirmed_at: confirmed.then_some(Timestamp(1_500)),
            expired_by: expired_at.map(|_| "user:3".to_owned()),
            expired_at: expired_at.map(Timestamp),
        }
    }

    fn asset(name: &str) -> Matchers {
        Matchers {
            asset: Some(name.into()),
            ..Matchers::default()
        }
    }

    #[test]
    fn suppression_follows_the_table() {
        let both = Matchers {
            district: Some("210102".into()),
            hazard: Some("leak".into()),
            ..Matchers::default()
        };
        let wrong_hazard = Matchers {
            district: Some("210102".into()),
            hazard: Some("fire".into()),
            ..Matchers::default()
        };
        let sensor = Matchers {
            sensor: Some("s-1".into()),
            ..Matchers::default()
        };
        let domain = Matchers {
            domain: Some("water".into()),
            ..Matchers::default()
        };
        // (matchers, confirmed, expired_at, level, at, suppressed)
        let table: Vec<(Matchers, bool, Option<i64>, Level, i64, bool)> = vec![
            (asset("pipe-1"), false, None, Level::Yellow, 1_000, true),
            (asset("pipe-1"), false, None, Level::Yellow, 999, false),
            (asset("pipe-1"), false, None, Level::Yellow, 4_999, true),
            (asset("pipe-1"), false, None, Level::Yellow, 5_000, false),
            (asset("pipe-2"), false, None, Level::Yellow, 2_000, false),
            (asset("pipe-1"), false, None, Level::Orange, 2_000, true),
            // red needs a second person's confirmation
            (asset("pipe-1"), false, None, Level::Red, 2_000, false),
            (asset("pipe-1"), true, None, Level::Red, 2_000, true),
            // expired early
            (asset("pipe-1"), true, Some(3_000), Level::Blue, 2_999, true),
            (
                asset("pipe-1"),
                true,
                Some(3_000),
                Level::Blue,
                3_000,
                false,
            ),
            // an expiry later than the end changes nothing
            (
                asset("pipe-1"),
                true,
                Some(9_000),
                Level::Blue,
                5_000,
                false,
            ),
            // every named matcher must be equal
            (both, false, None, Level::Blue, 2_000, true),
            (wrong_hazard, false, None, Level::Blue, 2_000, false),
            (sensor, false, None, Level::Blue, 2_000, true),
            (domain, false, None, Level::Blue, 2_000, false),
        ];
        for (i, (matchers, confirmed, expired, level, at, expected)) in
            table.into_iter().enumerate()
        {
            let s = silence(matchers, confirmed, expired);
            assert_eq!(
                suppresses(&s, &facts(), level, Timestamp(at)),
                expected,
                "row {i}: {s:?} at {at} {level:?}"
            );
        }
    }

    #[test]
    fn the_lowest_id_of_several_suppressing_silences_is_recorded() {
        let mut a = silence(asset("pipe-1"), false, None);
        a.id = 7;
        let mut b = silence(Matchers::default(), false, None);
        b.id = 3;
        b.matchers.domain = Some("gas".into());
        let mut c = silence(asset("pipe-9"), false, None);
        c.id = 1;
        let all = [a, b, c];
        let found = suppressing(&all, &facts(), Level::Blue, Timestamp(2_000));
        assert_eq!(found.map(|s| s.id), Some(3));
        assert!(suppressing(&all, &facts(), Level::Red, Timestamp(2_000)).is_none());
    }

    #[test]
    fn new_silences_are_checked() {
        let ok = NewSilence {
            kind: SilenceKind::Silence,
            matchers: asset("pipe-1"),
            starts_at: None,
            ends_at: Timestamp(5_000),
            reason: "valve work".into(),
            author: "user:1".into(),
        };
        let now = Timestamp(1_000);
        // (change, expected start or error fragment)
        let table: Vec<(NewSilence, Result<i64, &str>)> = vec![
            (ok.clone(), Ok(1_000)),
            (
                NewSilence {
                    starts_at: Some(Timestamp(500)),
                    ..ok.clone()
                },
                Ok(500),
            ),
            (
                NewSilence {
                    matchers: Matchers::default(),
                    ..ok.clone()
                },
                Err("at least one matcher"),
            ),
            (
                NewSilence {
                    reason: " ".into(),
                    ..ok.clone()
                },
                Err("reason"),
            ),
            (
                NewSilence {
                    author: String::new(),
                    ..ok.clone()
                },
                Err("author"),
            ),
            (
                NewSilence {
                    starts_at: Some(Timestamp(2_000)),
                    ..ok.clone()
                },
                Err("kind `maintenance`"),
            ),
            (
                NewSilence {
                    kind: SilenceKind::Maintenance,
                    starts_at: Some(Timestamp(2_000)),
                    ..ok.clone()
                },
                Ok(2_000),
            ),
            (
                NewSilence {
                    kind: SilenceKind::Maintenance,
                    starts_at: Some(Timestamp(6_000)),
                    ..ok.clone()
                },
                Err("after its start"),
            ),
            (
                NewSilence {
                    starts_at: Some(Timestamp(0)),
                    ends_at: Timestamp(800),
                    ..ok.clone()
                },
                Err("in the future"),
            ),
        ];
        for (i, (new, expected)) in table.into_iter().enumerate() {
            match (check_new(&new, now), expected) {
                (Ok(start), Ok(want)) => assert_eq!(start, Timestamp(want), "row {i}"),
                (Err(SilenceError::Invalid(text)), Err(fragment)) => {
                    assert!(text.contains(fragment), "row {i}: {text}");
                }
                (got, want) => panic!("row {i}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn confirmation_needs_a_second_person_before_the_end() {
        let open = silence(asset("pipe-1"), false, None);
        let confirmed = silence(asset("pipe-1"), true, None);
        let expired = silence(asset("pipe-1"), false, Some(2_000));
        // (silence, by, at, outcome)
        let table: Vec<(&Silence, &str, i64, Result<(), SilenceError>)> = vec![
            (&open, "user:2", 2_000, Ok(())),
            // planned and not started yet: may be confirmed ahead
            (&open, "user:2", 500, Ok(())),
            (
                &open,
                "user:1",
                2_000,
                Err(SilenceError::SelfConfirmation {
                    id: 1,
                    author: "user:1".into(),
                }),
            ),
            (&open, "user:2", 5_000, Err(SilenceError::Ended(1))),
            (&expired, "user:2", 2_500, Err(SilenceError::Ended(1))),
            (
                &confirmed,
                "user:4",
                2_000,
                Err(SilenceError::AlreadyConfirmed {
                    id: 1,
                    by: "user:2".into(),
                }),
            ),
        ];
        for (i, (s, by, at, expected)) in table.into_iter().enumerate() {
            assert_eq!(check_confirm(s, by, Timestamp(at)), expected, "row {i}");
        }
        assert_eq!(check_expire(&open, Timestamp(4_999)), Ok(()));
        assert_eq!(
            check_expire(&expired, Timestamp(2_000)),
            Err(SilenceError::Ended(1))
        );
    }
}

//! Builds the filtered `SELECT`s (warnings, readings, faults, shadow findings, generations,
//! audit entries, outbox rows) as SQL text plus the values to bind, with `$1`-style placeholders, which both PostgreSQL and SQLite (through sqlx) accept. Only the
//! filters that are set reach the SQL, so each backend's planner sees plain, index-friendly
//! predicates instead of `($1 IS NULL OR ...)`.

use crate::model::{MetricId, SensorId, Timestamp};

use super::rows::{
    FAULT_COLUMNS, GENERATION_COLUMNS, SHADOW_COLUMNS, WARNING_COLUMNS, WARNING_FROM,
};
use super::workflow_rows::{AUDIT_COLUMNS, OUTBOX_COLUMNS};
use super::{AuditFilter, OutboxFilter, ShadowFilter, WarningFilter};

/// A value to bind to the next placeholder.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Bind<'a> {
    /// Text (ids, names).
    Text(&'a str),
    /// Text built for the query.
    Owned(String),
    /// Text or NULL.
    OptText(Option<&'a str>),
    /// An integer (timestamps, limits).
    Int(i64),
    /// An integer or NULL.
    OptInt(Option<i64>),
    /// A flag.
    Bool(bool),
    /// Bytes (an engine snapshot).
    Bytes(&'a [u8]),
}

/// A `SELECT` under construction.
#[derive(Debug)]
pub(super) struct Select<'a> {
    /// The SQL so far.
    pub(super) sql: String,
    /// Values for `$1`, `$2`, ... in order.
    pub(super) binds: Vec<Bind<'a>>,
    /// Whether a `WHERE` was written yet.
    has_where: bool,
}

impl<'a> Select<'a> {
    /// Starts from `SELECT ... FROM ...`.
    fn new(head: String) -> Self {
        Self {
            sql: head,
            binds: Vec::new(),
            has_where: false,
        }
    }

    /// Adds `AND column op $n`.
    fn and(&mut self, column: &str, op: &str, value: Bind<'a>) -> &mut Self {
        self.binds.push(value);
        let keyword = if self.has_where { " AND " } else { " WHERE " };
        self.has_where = true;
        self.sql.push_str(keyword);
        self.sql.push_str(column);
        self.sql.push(' ');
        self.sql.push_str(op);
        self.sql.push_str(" $");
        self.sql.push_str(&self.binds.len().to_string());
        self
    }

    /// Adds `AND column op $n` when the value is present.
    fn and_some(&mut self, column: &str, op: &str, value: Option<Bind<'a>>) -> &mut Self {
        if let Some(value) = value {
            self.and(column, op, value);
        }
        self
    }

    /// Adds `AND (w.department = $n OR EXISTS (a recipient row))`: the warnings a department may
    /// see (its lead department, or one it was issued to, found in `case_recipients` by index).
    fn and_visible_to(&mut self, department: &'a str) -> &mut Self {
        self.binds.push(Bind::Text(department));
        let n = self.binds.len();
        let keyword = if self.has_where { " AND " } else { " WHERE " };
        self.has_where = true;
        self.sql.push_str(&format!(
            "{keyword}(w.department = ${n} OR EXISTS (SELECT 1 FROM case_recipients r \
             WHERE r.warning = w.id AND r.department = ${n}))"
        ));
        self
    }

    /// Ends with `ORDER BY ...` and, unless `limit` is 0, `LIMIT $n`.
    fn finish(mut self, order_by: &str, limit: u32) -> Self {
        self.sql.push_str(" ORDER BY ");
        self.sql.push_str(order_by);
        if limit > 0 {
            self.binds.push(Bind::Int(i64::from(limit)));
            self.sql.push_str(" LIMIT $");
            self.sql.push_str(&self.binds.len().to_string());
        }
        self
    }
}

/// Warnings matching a filter, most recently changed first.
pub(super) fn warnings(filter: &WarningFilter) -> Select<'_> {
    let mut select = Select::new(format!("SELECT {WARNING_COLUMNS} FROM {WARNING_FROM}"));
    select
        .and_some("w.state", "=", filter.state.map(|s| Bind::Text(s.as_str())))
        .and_some("w.level", "=", filter.level.map(|l| Bind::Text(l.as_str())))
        .and_some(
            "w.domain",
            "=",
            text(filter.domain.as_ref().map(|d| d.as_str())),
        )
        .and_some(
            "w.district",
            "=",
            text(filter.district.as_ref().map(|d| d.as_str())),
        )
        .and_some(
            "w.department",
            "=",
            text(filter.department.as_ref().map(|d| d.as_str())),
        )
        .and_some(
            "w.asset",
            "=",
            text(filter.asset.as_ref().map(|a| a.as_str())),
        )
        .and_some(
            "w.hazard",
            "=",
            text(filter.hazard.as_ref().map(|h| h.as_str())),
        )
        .and_some(
            "w.updated_at",
            ">=",
            filter.since.map(|t| Bind::Int(t.millis())),
        )
        .and_some("w.drill", "=", filter.drill.map(Bind::Bool))
        .and_some("c.stage", "=", text(filter.stage.as_deref()))
        .and_some(
            "c.due_at",
            "<=",
            filter.due_before.map(|t| Bind::Int(t.millis())),
        );
    if let Some(department) = &filter.visible_to_department {
        select.and_visible_to(department.as_str());
    }
    select.finish("w.updated_at DESC, w.id DESC", filter.limit)
}

/// Audit entries matching a filter, in `seq` order.
pub(super) fn audit(filter: &AuditFilter) -> Select<'_> {
    let mut select = Select::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
    select
        .and_some("warning", "=", filter.warning.map(Bind::Int))
        .and_some("actor", "=", text(filter.actor.as_deref()))
        .and_some("action", "=", text(filter.action.as_deref()))
        .and_some("at", ">=", filter.since.map(|t| Bind::Int(t.millis())))
        .and_some("at", "<=", filter.until.map(|t| Bind::Int(t.millis())))
        .and_some("seq", ">", filter.after_seq.map(Bind::Int));
    select.finish("seq", filter.limit)
}

/// Outbox rows matching a filter, oldest first.
pub(super) fn outbox(filter: &OutboxFilter) -> Select<'_> {
    let mut select = Select::new(format!("SELECT {OUTBOX_COLUMNS} FROM outbox"));
    select.and_some("warning", "=", filter.warning.map(Bind::Int));
    select.finish("id", filter.limit)
}

/// Readings of one sensor, oldest first.
pub(super) fn readings<'a>(
    sensor: &'a SensorId,
    metric: Option<&'a MetricId>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    limit: u32,
) -> Select<'a> {
    let mut select = Select::new("SELECT sensor, metric, ts, value FROM readings".to_owned());
    select
        .and("sensor", "=", Bind::Text(sensor.as_str()))
        .and_some("metric", "=", text(metric.map(MetricId::as_str)))
        .and_some("ts", ">=", from.map(|t| Bind::Int(t.millis())))
        .and_some("ts", "<=", to.map(|t| Bind::Int(t.millis())));
    select.finish("ts, metric", limit)
}

/// Faults, active first, newest first.
pub(super) fn faults(sensor: Option<&SensorId>, limit: u32) -> Select<'_> {
    let mut select = Select::new(format!("SELECT {FAULT_COLUMNS} FROM faults"));
    select.and_some("sensor", "=", text(sensor.map(SensorId::as_str)));
    select.finish("active DESC, raised_at DESC, id DESC", limit)
}

/// Shadow findings, newest first.
pub(super) fn shadow_findings(filter: &ShadowFilter) -> Select<'_> {
    let mut select = Select::new(format!("SELECT {SHADOW_COLUMNS} FROM shadow_findings"));
    select
        .and_some("rule", "=", text(filter.rule.as_ref().map(|r| r.as_str())))
        .and_some("ts", ">=", filter.since.map(|t| Bind::Int(t.millis())));
    select.finish("ts DESC, id DESC", filter.limit)
}

/// Generations, the most recently activated first (by activation order, not the clock, so two
/// activations in one millisecond list right), never-activated ones last.
pub(super) fn generations(limit: u32) -> Select<'static> {
    let select = Select::new(format!("SELECT {GENERATION_COLUMNS} FROM generations"));
    select.finish(
        "activation DESC NULLS LAST, activated_at DESC NULLS LAST, created_at DESC, id DESC",
        limit,
    )
}

fn text(value: Option<&str>) -> Option<Bind<'_>> {
    value.map(Bind::Text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Level;
    use crate::storage::WarningState;

    #[test]
    fn only_set_filters_reach_the_sql() {
        let filter = WarningFilter {
            state: Some(WarningState::Open),
            level: Some(Level::Red),
            since: Some(Timestamp(5)),
            limit: 10,
            ..WarningFilter::default()
        };
        let select = warnings(&filter);
        assert!(select.sql.ends_with(
            " FROM warnings w LEFT JOIN cases c ON c.warning = w.id WHERE w.state = $1 \
             AND w.level = $2 AND w.updated_at >= $3 ORDER BY w.updated_at DESC, w.id DESC \
             LIMIT $4"
        ));
        assert_eq!(
            select.binds,
            vec![
                Bind::Text("open"),
                Bind::Text("red"),
                Bind::Int(5),
                Bind::Int(10)
            ]
        );
    }

    #[test]
    fn workflow_filters_reach_the_sql() {
        let filter = WarningFilter {
            visible_to_department: Some("shenyang.gas_company".into()),
            stage: Some("issued".to_owned()),
            drill: Some(true),
            due_before: Some(Timestamp(9)),
            ..WarningFilter::default()
        };
        let select = warnings(&filter);
        assert!(select.sql.ends_with(
            " WHERE w.drill = $1 AND c.stage = $2 AND c.due_at <= $3 AND (w.department = $4 \
             OR EXISTS (SELECT 1 FROM case_recipients r WHERE r.warning = w.id \
             AND r.department = $4)) ORDER BY w.updated_at DESC, w.id DESC"
        ));
        assert_eq!(
            select.binds,
            vec![
                Bind::Bool(true),
                Bind::Text("issued"),
                Bind::Int(9),
                Bind::Text("shenyang.gas_company"),
            ]
        );
    }

    #[test]
    fn audit_filters_page_by_seq() {
        let filter = AuditFilter {
            warning: Some(4),
            action: Some("workflow.transition".to_owned()),
            until: Some(Timestamp(8)),
            after_seq: Some(100),
            limit: 50,
            ..AuditFilter::default()
        };
        let select = audit(&filter);
        assert!(select.sql.ends_with(
            " FROM audit_log WHERE warning = $1 AND action = $2 AND at <= $3 AND seq > $4 \
             ORDER BY seq LIMIT $5"
        ));
        assert_eq!(select.binds[3], Bind::Int(100));
    }

    #[test]
    fn shadow_filters_by_rule_and_time() {
        let filter = ShadowFilter {
            rule: Some("gas.trial".into()),
            since: Some(Timestamp(7)),
            limit: 5,
        };
        let select = shadow_findings(&filter);
        assert!(select.sql.ends_with(
            " FROM shadow_findings WHERE rule = $1 AND ts >= $2 ORDER BY ts DESC, id DESC LIMIT $3"
        ));
        assert_eq!(
            select.binds,
            vec![Bind::Text("gas.trial"), Bind::Int(7), Bind::Int(5)]
        );
    }

    #[test]
    fn zero_limit_means_no_limit() {
        let sensor = SensorId::new("s");
        let select = readings(&sensor, None, None, Some(Timestamp(9)), 0);
        assert_eq!(
            select.sql,
            "SELECT sensor, metric, ts, value FROM readings WHERE sensor = $1 AND ts <= $2 \
             ORDER BY ts, metric"
        );
        assert_eq!(select.binds, vec![Bind::Text("s"), Bind::Int(9)]);
    }
}

//! Diagnostics: what is wrong with a configuration, where, and how to fix it. `validate`, the
//! server's start-up and reload all report every diagnostic at once, never only the first.

use std::fmt;

/// Stable codes of configuration problems; each has a page `docs/errors/CODE.md`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The YAML (or CSV) text cannot be parsed.
    MalformedYaml,
    /// A key the schema does not know (often a typo).
    UnknownKey,
    /// A value of the wrong type.
    WrongType,
    /// A required key is missing.
    MissingKey,
    /// The document has no `version: 1`, or another version.
    BadVersion,
    /// Two items of one kind share an id.
    DuplicateId,
    /// A reference to a domain that does not exist.
    UnknownDomain,
    /// A reference to a metric that does not exist (or not in that domain).
    UnknownMetric,
    /// A reference to a sensor that does not exist.
    UnknownSensor,
    /// A reference to an asset that does not exist.
    UnknownAsset,
    /// A reference to a department that does not exist.
    UnknownDepartment,
    /// A reference to a district that does not exist, or a code that is not GB/T 2260 shaped.
    UnknownDistrict,
    /// An object kind that the domain does not list.
    UnknownObjectKind,
    /// Thresholds not ordered for the ladder's direction (or none given).
    LadderOrder,
    /// A duration that cannot be read (`10 minutes`, `-5m`).
    BadDuration,
    /// A unit outside the known list.
    BadUnit,
    /// A valid range whose low end is not below its high end.
    BadRange,
    /// A WGS84 position out of range.
    BadLocation,
    /// A value outside what the key allows (e.g. `n` larger than `m`).
    BadValue,
    /// A file that cannot be read.
    Io,
    /// A value that contradicts the one it would default from (a sensor's domain differs from
    /// its asset's).
    Conflict,
    /// A Rhai script that does not compile (syntax, undefined variable, forbidden `import`/`eval`).
    ScriptSyntax,
    /// A reference to a rule that does not exist.
    UnknownRule,
    /// A coupling relation or receptor kind outside the closed list.
    UnknownRelation,
    /// A workflow names a stage it does not define (in a transition, an automatic transition, a
    /// notification plan or `initial`).
    UnknownStage,
    /// A workflow stage that no transition or automatic transition leads to from the initial
    /// stage.
    UnreachableStage,
    /// A workflow without a terminal stage, or a stage from which no terminal stage can be reached.
    NoTerminalStage,
    /// An action or automatic transition that leaves a terminal stage.
    LeavesTerminalStage,
    /// A role name outside the closed list.
    UnknownRole,
    /// A recipient word outside the closed list (`owner`, `lead_department`, `department:<id>`
    /// ...).
    UnknownRecipient,
    /// A domain listed by two workflows, or several default workflows.
    AmbiguousWorkflow,
    /// Workflows exist but none is the default, or a workflow is neither the default nor lists
    /// domains.
    NoDefaultWorkflow,
    /// An escalation ladder whose `after` multiples do not strictly increase.
    EscalationOrder,
    /// An escalation ladder on a stage without any deadline.
    NoDeadline,
    /// A district boundary that is not a ring of at least three `[lon, lat]` points enclosing an
    /// area.
    BadBoundary,
    /// An asset without a `district` whose location lies inside no district boundary.
    OutsideBoundaries,
    /// A file or folder (usually a symbolic link) that resolves outside the deployment directory.
    OutsideDeployment,
    /// A FIFO, socket, device or other special file where a config file is expected.
    NotRegularFile,
    /// A config file larger than the loader reads.
    FileTooLarge,
    /// Folders nested deeper than the loader descends.
    FolderTooDeep,
    /// A folder reached again through a symbolic link (a cycle, or the same folder twice).
    LinkCycle,
    /// A roster or override names a person `city/contacts.yaml` does not list.
    UnknownPerson,
    /// A contact channel outside the closed list (`sms`, `phone`, `email`, `dingtalk`, `wecom`,
    /// `feishu`, `webhook`).
    UnknownChannel,
    /// A person listed for a channel without an address for it (no phone for `sms`, no robot of
    /// their department for `dingtalk` ...).
    NoAddress,
    /// A time of the week when nobody of a department is on duty for a role workflows notify.
    RosterGap,
    /// A hazard that the rule's domain does not list under `hazards:`, or that no rule raises (a cascade's `to:`, a test expectation).
    UnknownHazard,
    /// A threshold outside the metric's valid range: no valid reading can reach it, or every one does.
    LevelOutOfRange,
    /// A clear condition no valid reading can meet: the clear point (threshold minus `clear.margin` for `above`, plus for `below`) lies at or past the end of the metric's valid range.
    ClearUnreachable,
    /// A deployment rule that no sensor of the deployment is bound to (its domain, metric and `objects:` select none).
    BindsNoSensor,
    /// A deployment rule that reuses a shipped rule's id without `replaces: <id>`, or `replaces:` naming no shipped rule.
    ReplacesShipped,
    /// A metric that a deployment sensor reports but no rule evaluates (a warning: the configuration still loads).
    UnusedMetric,
    /// A script literal the engine would reject at run time: a duration string it cannot read, a level word outside `none`/`blue`/`yellow`/`orange`/`red`, a metric name no domain defines.
    ScriptType,
}

impl Code {
    /// The stable snake_case name shown as `error[NAME]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedYaml => "malformed_yaml",
            Code::UnknownKey => "unknown_key",
            Code::WrongType => "wrong_type",
            Code::MissingKey => "missing_key",
            Code::BadVersion => "bad_version",
            Code::DuplicateId => "duplicate_id",
            Code::UnknownDomain => "unknown_domain",
            Code::UnknownMetric => "unknown_metric",
            Code::UnknownSensor => "unknown_sensor",
            Code::UnknownAsset => "unknown_asset",
            Code::UnknownDepartment => "unknown_department",
            Code::UnknownDistrict => "unknown_district",
            Code::UnknownObjectKind => "unknown_object_kind",
            Code::LadderOrder => "ladder_order",
            Code::BadDuration => "bad_duration",
            Code::BadUnit => "bad_unit",
            Code::BadRange => "bad_range",
            Code::BadLocation => "bad_location",
            Code::BadValue => "bad_value",
            Code::Io => "io",
            Code::Conflict => "conflict",
            Code::ScriptSyntax => "script_syntax",
            Code::UnknownRule => "unknown_rule",
            Code::UnknownRelation => "unknown_relation",
            Code::UnknownStage => "unknown_stage",
            Code::UnreachableStage => "unreachable_stage",
            Code::NoTerminalStage => "no_terminal_stage",
            Code::LeavesTerminalStage => "leaves_terminal_stage",
            Code::UnknownRole => "unknown_role",
            Code::UnknownRecipient => "unknown_recipient",
            Code::AmbiguousWorkflow => "ambiguous_workflow",
            Code::NoDefaultWorkflow => "no_default_workflow",
            Code::EscalationOrder => "escalation_order",
            Code::NoDeadline => "no_deadline",
            Code::BadBoundary => "bad_boundary",
            Code::OutsideBoundaries => "outside_boundaries",
            Code::OutsideDeployment => "outside_deployment",
            Code::NotRegularFile => "not_regular_file",
            Code::FileTooLarge => "file_too_large",
            Code::FolderTooDeep => "folder_too_deep",
            Code::LinkCycle => "link_cycle",
            Code::UnknownPerson => "unknown_person",
            Code::UnknownChannel => "unknown_channel",
            Code::NoAddress => "no_address",
            Code::RosterGap => "roster_gap",
            Code::UnknownHazard => "unknown_hazard",
            Code::LevelOutOfRange => "level_out_of_range",
            Code::ClearUnreachable => "clear_unreachable",
            Code::BindsNoSensor => "binds_no_sensor",
            Code::ReplacesShipped => "replaces_shipped",
            Code::UnusedMetric => "unused_metric",
            Code::ScriptType => "script_type",
        }
    }

    /// Every code, for documentation checks.
    pub const ALL: &'static [Code] = &[
        Code::MalformedYaml,
        Code::UnknownKey,
        Code::WrongType,
        Code::MissingKey,
        Code::BadVersion,
        Code::DuplicateId,
        Code::UnknownDomain,
        Code::UnknownMetric,
        Code::UnknownSensor,
        Code::UnknownAsset,
        Code::UnknownDepartment,
        Code::UnknownDistrict,
        Code::UnknownObjectKind,
        Code::LadderOrder,
        Code::BadDuration,
        Code::BadUnit,
        Code::BadRange,
        Code::BadLocation,
        Code::BadValue,
        Code::Io,
        Code::Conflict,
        Code::ScriptSyntax,
        Code::UnknownRule,
        Code::UnknownRelation,
        Code::UnknownStage,
        Code::UnreachableStage,
        Code::NoTerminalStage,
        Code::LeavesTerminalStage,
        Code::UnknownRole,
        Code::UnknownRecipient,
        Code::AmbiguousWorkflow,
        Code::NoDefaultWorkflow,
        Code::EscalationOrder,
        Code::NoDeadline,
        Code::BadBoundary,
        Code::OutsideBoundaries,
        Code::OutsideDeployment,
        Code::NotRegularFile,
        Code::FileTooLarge,
        Code::FolderTooDeep,
        Code::LinkCycle,
        Code::UnknownPerson,
        Code::UnknownChannel,
        Code::NoAddress,
        Code::RosterGap,
        Code::UnknownHazard,
        Code::LevelOutOfRange,
        Code::ClearUnreachable,
        Code::BindsNoSensor,
        Code::ReplacesShipped,
        Code::UnusedMetric,
        Code::ScriptType,
    ];
}

/// How serious a diagnostic is: an error keeps the configuration from loading, a warning is
/// printed and the configuration loads.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The configuration is refused.
    #[default]
    Error,
    /// Printed; the configuration loads.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as printed before the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error (refused) or warning (printed, loads).
    pub severity: Severity,
    /// File as shown to the user (relative to the deployment, or `<builtin>/...`).
    pub file: String,
    /// 1-based line (0 when the problem is not tied to a position).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when that helps.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `file:line:column` with no hint.
    pub fn new(
        code: Code,
        file: impl Into<String>,
        (line, column): (usize, usize),
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            file: file.into(),
            line,
            column,
            message: message.into(),
            hint: None,
        }
    }

    /// The same diagnostic with a hint on how to fix it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// The same diagnostic as a warning: printed, but the configuration still loads.
    pub fn warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }

    /// True for an error (the configuration is refused).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Orders diagnostics by file, line and column (then code and message, so output is stable).
    pub fn sort(diagnostics: &mut [Diagnostic]) {
        diagnostics.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.code, &a.message)
                .cmp(&(&b.file, b.line, b.column, b.code, &b.message))
        });
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:column: error[CODE]: message` (or `warning[CODE]`) and, on the next line,
    /// `  = hint: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.file,
            self.line,
            self.column,
            self.severity.as_str(),
            self.code.as_str(),
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

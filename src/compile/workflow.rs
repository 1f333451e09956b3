//! Workflows (`workflows/*.yaml`) -> [`Workflow`]: stages with per-level deadlines and escalation
//! ladders, the actions people take and who may take them, automatic transitions, notification
//! plans and the issuing authority per level (DOMAINS.md 2.2 and 2.5).
//!
//! Besides every name (stage, role, recipient, channel, field, department, domain), the checks
//! look at the workflow as a graph: every stage must be reachable from the initial stage through
//! actions and automatic transitions, and a terminal stage must be reachable from every stage,
//! so no case can get stuck where nobody can close it. Across workflows, each domain follows one
//! workflow: the one that lists it, else the single default. Workflows are layered by id like
//! domains, so a deployment replaces the shipped `standard` by writing its own.

mod assignment;
mod graph;
mod stages;
#[cfg(test)]
mod tests;
mod words;

use std::collections::HashMap;

use super::item::{Item, known_department, suggest};
use super::ladder;
use crate::config::raw_workflow::{AutoTransitionDef, WorkflowDoc};
use crate::config::{Code, Diagnostic};
use crate::model::{
    ActionId, AutoTransition, AutoTransitions, Department, DepartmentId, Domain, DomainId, Level,
    NotificationPlan, NotifyOn, PerLevel, Recipient, StageId, Transition, Workflow, WorkflowId,
};

/// Events a notification plan can fire on besides entering a stage; no stage may take these ids.
const EVENTS: [&str; 2] = ["raised", "recurred"];

/// Compiles workflows (already layered by id) and checks which workflow each domain follows.
pub(super) fn workflows(
    items: &[Item<'_, WorkflowDoc>],
    domains: &[Domain],
    departments: &[Department],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Workflow> {
    let compiled = items
        .iter()
        .map(|item| Compiler::new(item, departments).workflow(domains, diagnostics))
        .collect();
    assignment::assignment(items, domains, diagnostics);
    compiled
}

/// The state of compiling one workflow: the stages known so far and the graph between them.
struct Compiler<'a, 'd> {
    /// The workflow document.
    item: &'a Item<'d, WorkflowDoc>,
    /// Registered departments.
    departments: &'a [Department],
    /// Stage ids in the order written (a duplicate is left out).
    stage_ids: Vec<&'d str>,
    /// Position in `stages:` of each kept stage, for diagnostics.
    stage_paths: Vec<usize>,
    /// Whether each kept stage is terminal.
    terminal: Vec<bool>,
    /// (from, to) between kept stages, from actions and automatic transitions.
    edges: Vec<(usize, usize)>,
}

impl<'a, 'd> Compiler<'a, 'd> {
    fn new(item: &'a Item<'d, WorkflowDoc>, departments: &'a [Department]) -> Self {
        Compiler {
            item,
            departments,
            stage_ids: Vec::new(),
            stage_paths: Vec::new(),
            terminal: Vec::new(),
            edges: Vec::new(),
        }
    }

    fn workflow(mut self, domains: &[Domain], diagnostics: &mut Vec<Diagnostic>) -> Workflow {
        let item = self.item;
        let def = item.def;
        for (i, domain) in def.domains.iter().enumerate() {
            if !domains.iter().any(|d| d.id.as_str() == domain) {
                diagnostics.push(
                    item.error(
                        Code::UnknownDomain,
                        &format!("domains[{i}]"),
                        format!("unknown domain `{domain}`"),
                    )
                    .with_hint(suggest(
                        domain,
                        domains.iter().map(|d| d.id.as_str()),
                        "domains",
                    )),
                );
            }
        }
        let duty_office = &def.city_duty_office;
        known_department(
            item,
            "city_duty_office",
            duty_office,
            self.departments,
            diagnostics,
        );
        let issuing_authority = self.issuers(diagnostics);
        let mut stages = self.stages(diagnostics);
        let initial = self.initial(diagnostics);
        let transitions = self.transitions(diagnostics);
        let auto = AutoTransitions {
            on_cleared: self.auto("on_cleared", def.auto.on_cleared.as_ref(), diagnostics),
            on_recurrence: self.auto(
                "on_recurrence",
                def.auto.on_recurrence.as_ref(),
                diagnostics,
            ),
            on_raised: self.auto("on_raised", def.auto.on_raised.as_ref(), diagnostics),
        };
        let notify = self.notify(diagnostics);
        if let Some(initial) = initial {
            self.check_graph(initial, diagnostics);
            let first = stages.remove(initial);
            stages.insert(0, first);
        }
        Workflow {
            id: WorkflowId::new(def.id.as_str()),
            name: def.name.clone(),
            domains: def
                .domains
                .iter()
                .map(|d| DomainId::new(d.as_str()))
                .collect(),
            initial: stages
                .first()
                .map_or_else(|| StageId::new(""), |s| s.id.clone()),
            stages,
            transitions,
            auto,
            notify,
            issuing_authority,
            city_duty_office: DepartmentId::new(duty_office.as_str()),
        }
    }

    /// `issuing_authority:`, one recipient list per level.
    fn issuers(&self, diagnostics: &mut Vec<Diagnostic>) -> PerLevel<Vec<Recipient>> {
        let def = &self.item.def.issuing_authority;
        let mut out: PerLevel<Vec<Recipient>> = Default::default();
        for level in Level::ALL {
            let names = match level {
                Level::Blue => &def.blue,
                Level::Yellow => &def.yellow,
                Level::Orange => &def.orange,
                Level::Red => &def.red,
            };
            let key = format!("issuing_authority.{level}");
            for (j, name) in names.iter().enumerate() {
                if name == "issuing_authority" || name == "issued" {
                    diagnostics.push(
                        self.item
                            .error(
                                Code::BadValue,
                                &format!("{key}[{j}]"),
                                format!("`{name}` cannot say who issues a level"),
                            )
                            .with_hint(
                                "name departments (`department:<id>`) or the warning's own \
                                 (`lead_department`, `owner`, `district_government`)",
                            ),
                    );
                }
            }
            out[level.index()] =
                words::recipients(self.item, &key, names, self.departments, diagnostics)
                    .into_iter()
                    .filter(|r| !matches!(r, Recipient::IssuingAuthority | Recipient::Issued))
                    .collect();
        }
        out
    }

    /// The position of the stage `name` referred to at `key`, or `unknown_stage`.
    fn stage_ref(&self, key: &str, name: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<usize> {
        let found = self.stage_ids.iter().position(|s| *s == name);
        if found.is_none() {
            diagnostics.push(
                self.item
                    .error(Code::UnknownStage, key, format!("unknown stage `{name}`"))
                    .with_hint(suggest(name, self.stage_ids.iter().copied(), "stages")),
            );
        }
        found
    }

    /// `initial:`, by default the first stage; `None` when there is no stage to start in.
    fn initial(&self, diagnostics: &mut Vec<Diagnostic>) -> Option<usize> {
        let Some(name) = &self.item.def.initial else {
            return (!self.stage_ids.is_empty()).then_some(0);
        };
        let initial = self.stage_ref("initial", name, diagnostics)?;
        if self.terminal[initial] {
            diagnostics.push(
                self.item
                    .error(
                        Code::BadValue,
                        "initial",
                        format!("the initial stage `{name}` is terminal"),
                    )
                    .with_hint("a case starts where work remains, e.g. `detected`"),
            );
        }
        Some(initial)
    }

    /// The `from` list at `key.from` of an action or automatic transition (`what`): known,
    /// non-terminal stages, without duplicates.
    fn starting_stages(
        &self,
        key: &str,
        names: &[String],
        what: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<usize> {
        if names.is_empty() {
            diagnostics.push(
                self.item
                    .error(
                        Code::BadValue,
                        &format!("{key}.from"),
                        format!("{what} lists no stage to start from"),
                    )
                    .with_hint("list the stages it applies in, e.g. `from: [issued]`"),
            );
        }
        let mut out = Vec::new();
        for (j, name) in names.iter().enumerate() {
            let at = format!("{key}.from[{j}]");
            let Some(stage) = self.stage_ref(&at, name, diagnostics) else {
                continue;
            };
            if self.terminal[stage] {
                diagnostics.push(
                    self.item
                        .error(
                            Code::LeavesTerminalStage,
                            &at,
                            format!("{what} starts from terminal stage `{name}`"),
                        )
                        .with_hint(
                            "a terminal stage ends the case and nothing may follow it; start \
                             from the stage before it, or make the stage non-terminal",
                        ),
                );
            }
            if !out.contains(&stage) {
                out.push(stage);
            }
        }
        out
    }

    /// `transitions:`, duplicates left out; adds their edges to the graph.
    fn transitions(&mut self, diagnostics: &mut Vec<Diagnostic>) -> Vec<Transition> {
        let def: &'d WorkflowDoc = self.item.def;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, transition) in def.transitions.iter().enumerate() {
            let key = format!("transitions[{i}]");
            if let Some(first) = seen.get(transition.action.as_str()) {
                let first_key = format!("transitions[{first}].action");
                diagnostics.push(
                    self.item
                        .error(
                            Code::DuplicateId,
                            &format!("{key}.action"),
                            format!("duplicate action `{}`", transition.action),
                        )
                        .with_hint(format!("first defined at {}", self.item.place(&first_key))),
                );
                continue;
            }
            seen.insert(&transition.action, i);
            let what = format!("action `{}`", transition.action);
            let from = self.starting_stages(&key, &transition.from, &what, diagnostics);
            let to = transition
                .to
                .as_ref()
                .and_then(|name| self.stage_ref(&format!("{key}.to"), name, diagnostics));
            self.connect(&from, to);
            out.push(Transition {
                action: ActionId::new(transition.action.as_str()),
                name: transition.name.clone(),
                from: self.stage_list(&from),
                to: to.map(|to| StageId::new(self.stage_ids[to])),
                roles: words::roles(
                    self.item,
                    &format!("{key}.roles"),
                    &transition.roles,
                    diagnostics,
                ),
                requires: words::fields(
                    self.item,
                    &format!("{key}.requires"),
                    &transition.requires,
                    diagnostics,
                ),
            });
        }
        out
    }

    /// One of `auto:` (`name` is `on_cleared` ...); adds its edges to the graph.
    fn auto(
        &mut self,
        name: &str,
        def: Option<&AutoTransitionDef>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<AutoTransition> {
        let def = def?;
        let key = format!("auto.{name}");
        let what = format!("automatic transition `{name}`");
        let from = self.starting_stages(&key, &def.from, &what, diagnostics);
        let to = def
            .to
            .as_ref()
            .and_then(|stage| self.stage_ref(&format!("{key}.to"), stage, diagnostics));
        self.connect(&from, to);
        Some(AutoTransition {
            from: self.stage_list(&from),
            to: to.map(|to| StageId::new(self.stage_ids[to])),
        })
    }

    /// `notify:`; a plan with an unknown trigger is left out.
    fn notify(&self, diagnostics: &mut Vec<Diagnostic>) -> Vec<NotificationPlan> {
        let mut out = Vec::new();
        for (i, plan) in self.item.def.notify.iter().enumerate() {
            let key = format!("notify[{i}]");
            let on = match plan.on.as_str() {
                "raised" => Some(NotifyOn::Raised),
                "recurred" => Some(NotifyOn::Recurred),
                name if self.stage_ids.contains(&name) => {
                    Some(NotifyOn::Entered(StageId::new(name)))
                }
                name => {
                    let known = self.stage_ids.iter().copied().chain(EVENTS);
                    diagnostics.push(
                        self.item
                            .error(
                                Code::UnknownStage,
                                &format!("{key}.on"),
                                format!("unknown stage or event `{name}`"),
                            )
                            .with_hint(suggest(name, known, "stages and events")),
                    );
                    None
                }
            };
            let levels = match &plan.levels {
                None => Level::ALL.to_vec(),
                Some(names) => {
                    if names.is_empty() {
                        diagnostics.push(
                            self.item
                                .error(Code::BadValue, &format!("{key}.levels"), "no levels listed")
                                .with_hint("leave `levels` out for all four"),
                        );
                    }
                    let mut levels: Vec<Level> = names.iter().map(|l| ladder::level(*l)).collect();
                    levels.sort_unstable_by(|a, b| b.cmp(a));
                    levels.dedup();
                    levels
                }
            };
            let recipients = words::recipients(
                self.item,
                &format!("{key}.to"),
                &plan.to,
                self.departments,
                diagnostics,
            );
            let channels = words::channels(
                self.item,
                &format!("{key}.channels"),
                &plan.channels,
                diagnostics,
            );
            if let Some(on) = on {
                out.push(NotificationPlan {
                    on,
                    levels,
                    recipients,
                    channels,
                });
            }
        }
        out
    }

    /// Adds the edges `from` x `to` (none for an action that keeps the stage).
    fn connect(&mut self, from: &[usize], to: Option<usize>) {
        if let Some(to) = to {
            self.edges.extend(from.iter().map(|&from| (from, to)));
        }
    }

    fn stage_list(&self, stages: &[usize]) -> Vec<StageId> {
        stages
            .iter()
            .map(|&i| StageId::new(self.stage_ids[i]))
            .collect()
    }

    /// Terminal stages exist, every stage is reachable from `initial`, and every stage can reach
    /// a terminal stage.
    fn check_graph(&self, initial: usize, diagnostics: &mut Vec<Diagnostic>) {
        let has_terminal = self.terminal.iter().any(|t| *t);
        if !has_terminal {
            diagnostics.push(
                self.item
                    .error(
                        Code::NoTerminalStage,
                        "stages",
                        format!("workflow `{}` has no terminal stage", self.item.def.id),
                    )
                    .with_hint("mark the stage that ends a case `terminal: true`, e.g. `closed`"),
            );
        }
        let reach = graph::reach(self.stage_ids.len(), initial, &self.terminal, &self.edges);
        let start = self.stage_ids[initial];
        for (ix, id) in self.stage_ids.iter().enumerate() {
            let key = format!("stages[{}].id", self.stage_paths[ix]);
            if !reach.from_initial[ix] {
                diagnostics.push(
                    self.item
                        .error(
                            Code::UnreachableStage,
                            &key,
                            format!(
                                "stage `{id}` cannot be reached from the initial stage `{start}`"
                            ),
                        )
                        .with_hint("add an action or automatic transition into it, or remove it"),
                );
            }
            if has_terminal && !self.terminal[ix] && !reach.to_terminal[ix] {
                diagnostics.push(
                    self.item
                        .error(
                            Code::NoTerminalStage,
                            &key,
                            format!("no terminal stage can be reached from stage `{id}`"),
                        )
                        .with_hint(
                            "a case left there could never be closed; add an action from it \
                             towards a terminal stage",
                        ),
                );
            }
        }
    }
}

//! Which workflow each domain follows: the one that lists it, else the single default. A domain
//! listed twice, two defaults, no default, or a workflow that is neither are reported here.

use std::collections::HashMap;

use crate::compile::item::Item;
use crate::config::raw_workflow::WorkflowDoc;
use crate::config::{Code, Diagnostic};
use crate::model::Domain;

/// Each domain follows one workflow: the one listing it, else the single default.
pub(super) fn assignment(
    items: &[Item<'_, WorkflowDoc>],
    domains: &[Domain],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut claims: HashMap<&str, (&str, String)> = HashMap::new();
    let mut first_default: Option<&Item<'_, WorkflowDoc>> = None;
    let mut undecided = false;
    for item in items {
        let def = item.def;
        if def.default {
            if !def.domains.is_empty() {
                diagnostics.push(
                    item.error(
                        Code::BadValue,
                        "domains",
                        format!("the default workflow `{}` also lists domains", def.id),
                    )
                    .with_hint("the default serves every domain no other workflow lists; remove `domains` or `default: true`"),
                );
            }
            match first_default {
                Some(first) => diagnostics.push(
                    item.error(
                        Code::AmbiguousWorkflow,
                        "default",
                        format!(
                            "workflows `{}` and `{}` are both the default",
                            first.def.id, def.id
                        ),
                    )
                    .with_hint(format!(
                        "keep one `default: true`; the other is at {}",
                        first.place("default")
                    )),
                ),
                None => first_default = Some(item),
            }
        } else if def.domains.is_empty() {
            undecided = true;
            diagnostics.push(
                item.error(
                    Code::NoDefaultWorkflow,
                    "id",
                    format!(
                        "workflow `{}` is not the default and lists no domains",
                        def.id
                    ),
                )
                .with_hint("add `default: true`, or `domains: [city_gas, ...]`"),
            );
        }
        for (i, domain) in def.domains.iter().enumerate() {
            let key = format!("domains[{i}]");
            match claims.get(domain.as_str()) {
                Some((first, place)) if *first != def.id => diagnostics.push(
                    item.error(
                        Code::AmbiguousWorkflow,
                        &key,
                        format!(
                            "domain `{domain}` is listed by workflows `{first}` and `{}`",
                            def.id
                        ),
                    )
                    .with_hint(format!(
                        "a domain follows one workflow; the other lists it at {place}"
                    )),
                ),
                Some(_) => {}
                None => {
                    claims.insert(domain, (&def.id, item.place(&key)));
                }
            }
        }
    }
    if let (None, Some(first), false) = (first_default, items.first(), undecided) {
        let orphans: Vec<String> = domains
            .iter()
            .filter(|d| !claims.contains_key(d.id.as_str()))
            .map(|d| format!("`{}`", d.id))
            .collect();
        let which = if orphans.is_empty() {
            "a domain added later would have none".to_owned()
        } else {
            format!("domains without one: {}", orphans.join(", "))
        };
        diagnostics.push(
            first
                .error(
                    Code::NoDefaultWorkflow,
                    "id",
                    format!("no workflow is the default; {which}"),
                )
                .with_hint("mark one workflow `default: true`"),
        );
    }
}

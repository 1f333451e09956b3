//! Raw -> model: resolve references, apply the deployment over the shipped packs, check ladders
//! and units, and build a [`Generation`]. Every problem is collected; the generation is built only
//! when there are none. Order of work: districts, departments, domains and metrics, rules,
//! assets, sensors (each step only needs the ones before it).

mod city;
mod domains;
mod item;
mod ladder;
mod rules;

use std::path::Path;

use crate::config::sources::{Body, read_all};
use crate::config::{Diagnostic, Document};
use crate::model::{Generation, GenerationParts};

use item::{Item, merge};

/// Compiles the shipped packs layered with the deployment directory `deployment` (if any).
/// Returns every diagnostic, sorted by file, line and column, when the set is invalid.
pub fn load(deployment: Option<&Path>) -> Result<Generation, Vec<Diagnostic>> {
    let loaded = read_all(deployment);
    let mut diagnostics = loaded.diagnostics;
    let parts = compile_documents(&loaded.documents, &mut diagnostics);
    if diagnostics.is_empty() {
        Ok(Generation::build(GenerationParts {
            sources: loaded.sources,
            ..parts
        }))
    } else {
        Diagnostic::sort(&mut diagnostics);
        Err(diagnostics)
    }
}

/// Compiles parsed documents into generation parts (without sources).
fn compile_documents(documents: &[Document], diagnostics: &mut Vec<Diagnostic>) -> GenerationParts {
    let mut districts = Vec::new();
    let mut departments = Vec::new();
    let mut assets = Vec::new();
    let mut sensors = Vec::new();
    let mut overrides = Vec::new();
    let mut domain_docs = Vec::new();
    let mut rule_defs = Vec::new();
    for doc in documents {
        match &doc.body {
            Body::Registry(registry) => {
                for (i, def) in registry.districts.iter().enumerate() {
                    districts.push(Item::new(
                        def.code.0.clone(),
                        doc,
                        format!("districts[{i}]"),
                        def,
                    ));
                }
                for (i, def) in registry.departments.iter().enumerate() {
                    departments.push(Item::new(
                        def.id.clone(),
                        doc,
                        format!("departments[{i}]"),
                        def,
                    ));
                }
                for (i, def) in registry.assets.iter().enumerate() {
                    assets.push(Item::new(def.id.clone(), doc, format!("assets[{i}]"), def));
                }
                for (i, def) in registry.sensors.iter().enumerate() {
                    sensors.push(Item::new(def.id.clone(), doc, format!("sensors[{i}]"), def));
                }
                for (i, def) in registry.overrides.iter().enumerate() {
                    let id = format!("{} {}", def.sensor, def.metric);
                    overrides.push(Item::new(id, doc, format!("overrides[{i}]"), def));
                }
            }
            Body::Domain(domain) => {
                domain_docs.push(Item::new(domain.id.clone(), doc, String::new(), domain));
            }
            Body::Rules(rules) => {
                for (i, def) in rules.rules.iter().enumerate() {
                    rule_defs.push(Item::new(def.id.clone(), doc, format!("rules[{i}]"), def));
                }
            }
            Body::Workflow => {}
        }
    }
    let id_key = "id";
    let districts = merge(districts, "district", "code", diagnostics);
    let departments = merge(departments, "department", id_key, diagnostics);
    let domain_docs = merge(domain_docs, "domain", id_key, diagnostics);
    let rule_defs = merge(rule_defs, "rule", id_key, diagnostics);
    let assets = merge(assets, "asset", id_key, diagnostics);
    let sensors = merge(sensors, "sensor", id_key, diagnostics);
    let overrides = merge(
        overrides,
        "override (sensor and metric)",
        "metric",
        diagnostics,
    );

    let districts = city::districts(&districts, diagnostics);
    let departments = city::departments(&departments, &districts, diagnostics);
    let (domains, metrics) = domains::domains(&domain_docs, &departments, diagnostics);
    let rules = rules::rules(&rule_defs, &domains, &metrics, diagnostics);
    let registry = city::Registry {
        districts: &districts,
        departments: &departments,
        domains: &domains,
        metrics: &metrics,
    };
    let assets = registry.assets(&assets, diagnostics);
    let mut sensors = registry.sensors(&sensors, &assets, diagnostics);
    registry.overrides(&overrides, &mut sensors, diagnostics);
    GenerationParts {
        sources: Vec::new(),
        districts,
        departments,
        domains,
        metrics,
        rules,
        assets,
        sensors,
    }
}

//! Raw -> model: resolve references, apply the deployment over the shipped packs, check ladders
//! and units, and build a [`Generation`]. Every problem is collected; the generation is built only
//! when there are none. Order of work: districts, departments (then district governments),
//! domains and metrics, workflows, rules, assets (placed by district boundaries when they name
//! no district), sensors (each step only needs the ones before it).

mod boundary;
mod city;
mod composite;
mod coupling;
mod domains;
mod grading;
mod item;
mod ladder;
mod meaning;
mod rules;
mod workflow;

use std::path::Path;

use crate::config::sources::{Body, read_all};
use crate::config::{Diagnostic, Document};
use crate::model::{Generation, GenerationParts, SourceFile};

use item::{Item, merge};

/// Compiles the shipped packs layered with the deployment directory `deployment` (if any).
/// Returns every diagnostic, sorted by file, line and column, when the set is invalid.
pub fn load(deployment: Option<&Path>) -> Result<Generation, Vec<Diagnostic>> {
    load_with(deployment, None)
}

/// Like [`load`], with the deployment's `city/` replaced by one registry document when `city`
/// is given (a rule test case's registry fragment; its `path` is shown in diagnostics and must
/// end in `.yaml`).
pub fn load_with(
    deployment: Option<&Path>,
    city: Option<SourceFile>,
) -> Result<Generation, Vec<Diagnostic>> {
    load_checked(deployment, city).0
}

/// Like [`load_with`], also returning the warnings (`unused_metric` ...): diagnostics that are
/// printed but do not keep the configuration from loading. When the result is `Err`, its
/// errors come without the warnings.
pub fn load_checked(
    deployment: Option<&Path>,
    city: Option<SourceFile>,
) -> (Result<Generation, Vec<Diagnostic>>, Vec<Diagnostic>) {
    let mut loaded = read_all(deployment);
    if let Some(city) = city {
        loaded.replace_city(city);
    }
    let mut diagnostics = loaded.diagnostics;
    let parts = compile_documents(&loaded.documents, &loaded.sources, &mut diagnostics);
    let (mut warnings, diagnostics): (Vec<Diagnostic>, Vec<Diagnostic>) =
        diagnostics.into_iter().partition(|d| !d.is_error());
    Diagnostic::sort(&mut warnings);
    (build(loaded.sources, parts, diagnostics), warnings)
}

/// The generation from compiled parts, or the errors (sorted).
fn build(
    sources: Vec<SourceFile>,
    parts: GenerationParts,
    mut diagnostics: Vec<Diagnostic>,
) -> Result<Generation, Vec<Diagnostic>> {
    if diagnostics.is_empty() {
        let generation = Generation::build(GenerationParts { sources, ..parts });
        // contacts and duty rosters name the generation's departments and districts
        match crate::contacts::from_generation(&generation) {
            Ok(_) => Ok(generation),
            Err(mut diagnostics) => {
                Diagnostic::sort(&mut diagnostics);
                Err(diagnostics)
            }
        }
    } else {
        Diagnostic::sort(&mut diagnostics);
        Err(diagnostics)
    }
}

/// Compiles parsed documents into generation parts (without sources).
fn compile_documents(
    documents: &[Document],
    sources: &[SourceFile],
    diagnostics: &mut Vec<Diagnostic>,
) -> GenerationParts {
    let mut districts = Vec::new();
    let mut departments = Vec::new();
    let mut assets = Vec::new();
    let mut sensors = Vec::new();
    let mut overrides = Vec::new();
    let mut domain_docs = Vec::new();
    let mut rule_defs = Vec::new();
    let mut edges = Vec::new();
    let mut receptors = Vec::new();
    let mut links = Vec::new();
    let mut cascades = Vec::new();
    let mut workflow_docs = Vec::new();
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
                for (i, def) in registry.edges.iter().enumerate() {
                    let id = format!("{} {} {}", def.from, def.relation, def.to);
                    edges.push(Item::new(id, doc, format!("edges[{i}]"), def));
                }
                for (i, def) in registry.receptors.iter().enumerate() {
                    let path = format!("receptors[{i}]");
                    receptors.push(Item::new(def.id.clone(), doc, path, def));
                }
            }
            Body::Domain(domain) => {
                domain_docs.push(Item::new(domain.id.clone(), doc, String::new(), &**domain));
            }
            Body::Rules(rules) => {
                for (i, def) in rules.rules.iter().enumerate() {
                    rule_defs.push(Item::new(def.id.clone(), doc, format!("rules[{i}]"), def));
                }
                for (i, def) in rules.links.iter().enumerate() {
                    links.push(Item::new(def.id.clone(), doc, format!("links[{i}]"), def));
                }
                for (i, def) in rules.cascades.iter().enumerate() {
                    let path = format!("cascades[{i}]");
                    cascades.push(Item::new(def.id.clone(), doc, path, def));
                }
            }
            Body::Workflow(workflow) => {
                let id = workflow.id.clone();
                workflow_docs.push(Item::new(id, doc, String::new(), &**workflow));
            }
        }
    }
    let id_key = "id";
    let districts = merge(districts, "district", "code", diagnostics);
    let departments = merge(departments, "department", id_key, diagnostics);
    let domain_docs = merge(domain_docs, "domain", id_key, diagnostics);
    meaning::check_replacements(&rule_defs, diagnostics);
    let rule_defs = merge(rule_defs, "rule", id_key, diagnostics);
    let assets = merge(assets, "asset", id_key, diagnostics);
    let sensors = merge(sensors, "sensor", id_key, diagnostics);
    let overrides = merge(
        overrides,
        "override (sensor and metric)",
        "metric",
        diagnostics,
    );
    let edges = merge(edges, "edge (from, relation, to)", "to", diagnostics);
    let receptors = merge(receptors, "receptor", id_key, diagnostics);
    let links = merge(links, "link", id_key, diagnostics);
    let cascades = merge(cascades, "cascade", id_key, diagnostics);
    let workflow_docs = merge(workflow_docs, "workflow", id_key, diagnostics);

    let district_items = districts;
    let districts = city::districts(&district_items, diagnostics);
    let departments = city::departments(&departments, &districts, diagnostics);
    city::check_governments(&district_items, &departments, diagnostics);
    let (domains, metrics) = domains::domains(&domain_docs, &departments, diagnostics);
    let workflows = workflow::workflows(&workflow_docs, &domains, &departments, diagnostics);
    let scripts = composite::Scripts::new(sources);
    let rules = rules::rules(&rule_defs, &domains, &metrics, &scripts, diagnostics);
    meaning::check_scripts(&rules, &metrics, diagnostics);
    for item in &rule_defs {
        if let Some(doc) = domain_docs.iter().find(|d| d.id == item.def.domain) {
            meaning::check_hazard(item, &doc.id, &doc.def.hazards, diagnostics);
        }
    }
    for item in &cascades {
        meaning::check_cascade_hazard(item, &domain_docs, &rules, diagnostics);
    }
    let links = coupling::links(&links, &domains, diagnostics);
    let cascades = coupling::cascades(&cascades, &domains, &rules, diagnostics);
    let receptors = coupling::receptors(&receptors, diagnostics);
    let registry = city::Registry {
        districts: &districts,
        departments: &departments,
        domains: &domains,
        metrics: &metrics,
    };
    let assets = registry.assets(&assets, diagnostics);
    let sensor_items = sensors;
    let mut sensors = registry.sensors(&sensor_items, &assets, diagnostics);
    registry.overrides(&overrides, &mut sensors, diagnostics);
    meaning::check_bindings(&rule_defs, &rules, &sensors, diagnostics);
    let script_texts: Vec<&str> = sources
        .iter()
        .filter(|s| s.path.ends_with(".rhai"))
        .map(|s| s.text.as_str())
        .collect();
    meaning::check_unused_metrics(
        &domain_docs,
        &sensor_items,
        &metrics,
        &rules,
        &script_texts,
        diagnostics,
    );
    let mut edges = coupling::edges(&edges, &assets, diagnostics);
    edges.extend(crate::coupling::derive::derive_edges(&assets, &links));
    GenerationParts {
        sources: Vec::new(),
        districts,
        departments,
        domains,
        metrics,
        rules,
        assets,
        sensors,
        receptors,
        edges,
        links,
        cascades,
        workflows,
    }
}

//! A generation: one compiled, validated configuration set, identified by the hash of its text.
//! Everything downstream of `compile` works from an `Arc<Generation>`; nothing in it changes after
//! it is built, so a reload swaps a whole generation at once.

use rustc_hash::FxHashMap;

use super::city::{Asset, AssetIx, Department, District, Sensor, SensorIx};
use super::coupling::{Cascade, Edge, Receptor, SpatialLink};
use super::domain::{Domain, Metric};
use super::ids::{
    AssetId, DepartmentId, DistrictCode, DomainId, GenerationId, MetricId, RuleId, SensorId,
};
use super::rule::Rule;
use super::workflow::Workflow;

/// One configuration file as it was read, kept so auditors can see the exact text that fired.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SourceFile {
    /// Path as shown in diagnostics: `<builtin>/domains/city_gas.yaml` or relative to the deployment.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// Who or what put a generation in force, recorded with its activation (`changes.cause` in
/// `GET /config/generations` and in the `config.generation` audit entry).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GenerationCause {
    /// The server started with it.
    Start,
    /// `POST /api/v1/admin/reload`, by this actor (`user:3`).
    Api {
        /// The API user.
        actor: String,
    },
    /// SIGHUP.
    Signal,
    /// The watch of the deployment directory saw these files change.
    Watch {
        /// Each added, edited or removed file with the SHA-256 of its new text (`None`: removed).
        files: Vec<FileHash>,
    },
}

/// A changed file and the SHA-256 (hex) of its text in the new generation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileHash {
    /// Path as in the generation's sources.
    pub path: String,
    /// SHA-256 of the new text; `None` when the file was removed.
    pub sha256: Option<String>,
}

impl GenerationCause {
    /// The cause of a reload seen by the file watch: the files whose text differs between the
    /// sources of `old` and `new`, in path order, with the hash of their new text.
    pub fn watched(old: &[SourceFile], new: &[SourceFile]) -> GenerationCause {
        use sha2::{Digest, Sha256};
        let before: std::collections::BTreeMap<&str, &str> = old
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_str()))
            .collect();
        let after: std::collections::BTreeMap<&str, &str> = new
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_str()))
            .collect();
        let mut paths: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
        paths.sort_unstable();
        paths.dedup();
        let files = paths
            .into_iter()
            .filter(|path| before.get(path) != after.get(path))
            .map(|path| FileHash {
                path: path.to_owned(),
                sha256: after
                    .get(path)
                    .map(|text| hex::encode(Sha256::digest(text.as_bytes()))),
            })
            .collect();
        GenerationCause::Watch { files }
    }

    /// The actor the audit names: the API user, else `system:<kind>`.
    pub fn actor(&self) -> String {
        match self {
            GenerationCause::Api { actor } => actor.clone(),
            GenerationCause::Start => "system:start".to_owned(),
            GenerationCause::Signal => "system:signal".to_owned(),
            GenerationCause::Watch { .. } => "system:watch".to_owned(),
        }
    }
}

/// Counts for the one-line summary of `validate` and `GET /config`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// Domains defined.
    pub domains: usize,
    /// Metrics defined.
    pub metrics: usize,
    /// Rules compiled.
    pub rules: usize,
    /// Districts registered.
    pub districts: usize,
    /// Departments registered.
    pub departments: usize,
    /// Assets registered.
    pub assets: usize,
    /// Sensors registered.
    pub sensors: usize,
    /// Sensitive receptors registered.
    pub receptors: usize,
    /// Coupling edges, declared and derived.
    pub edges: usize,
    /// Cascade rules.
    pub cascades: usize,
}

/// A compiled configuration generation.
#[derive(Debug)]
pub struct Generation {
    /// First 16 hex digits of [`Generation::hash`].
    pub id: GenerationId,
    /// SHA-256 over every source file's path and text, in path order.
    pub hash: String,
    /// The source texts, in path order.
    pub sources: Vec<SourceFile>,
    /// Districts by code.
    pub districts: Vec<District>,
    /// Departments.
    pub departments: Vec<Department>,
    /// Domains.
    pub domains: Vec<Domain>,
    /// Metrics of all domains.
    pub metrics: Vec<Metric>,
    /// Rules, in id order.
    pub rules: Vec<Rule>,
    /// Assets; a position is an [`AssetIx`].
    pub assets: Vec<Asset>,
    /// Sensors; a position is a [`SensorIx`].
    pub sensors: Vec<Sensor>,
    /// Sensitive receptors.
    pub receptors: Vec<Receptor>,
    /// Coupling edges: declared in `city/`, then derived by `links`.
    pub edges: Vec<Edge>,
    /// The spatial links that derived edges.
    pub links: Vec<SpatialLink>,
    /// Cascade rules, in id order.
    pub cascades: Vec<Cascade>,
    /// Closed-loop workflows, in id order.
    pub workflows: Vec<Workflow>,
    /// Lookups built once by [`Generation::index`].
    index: Index,
}

/// Id -> position maps, so lookups on the ingest path are one hash probe.
#[derive(Debug, Default)]
struct Index {
    sensors: FxHashMap<SensorId, SensorIx>,
    assets: FxHashMap<AssetId, AssetIx>,
    metrics: FxHashMap<MetricId, usize>,
    domains: FxHashMap<DomainId, usize>,
    rules: FxHashMap<RuleId, usize>,
    districts: FxHashMap<DistrictCode, usize>,
    departments: FxHashMap<DepartmentId, usize>,
}

/// The parts of a generation, as the compiler produces them.
#[derive(Debug, Default)]
pub struct GenerationParts {
    /// Source texts (any order; sorted by path when built).
    pub sources: Vec<SourceFile>,
    /// Districts.
    pub districts: Vec<District>,
    /// Departments.
    pub departments: Vec<Department>,
    /// Domains.
    pub domains: Vec<Domain>,
    /// Metrics.
    pub metrics: Vec<Metric>,
    /// Rules.
    pub rules: Vec<Rule>,
    /// Assets.
    pub assets: Vec<Asset>,
    /// Sensors (their `asset_ix` must point into `assets`).
    pub sensors: Vec<Sensor>,
    /// Sensitive receptors.
    pub receptors: Vec<Receptor>,
    /// Coupling edges: declared in `city/`, then derived by `links`.
    pub edges: Vec<Edge>,
    /// The spatial links that derived edges.
    pub links: Vec<SpatialLink>,
    /// Cascade rules, in id order.
    pub cascades: Vec<Cascade>,
    /// Closed-loop workflows (exactly one with no `domains` is the default).
    pub workflows: Vec<Workflow>,
}

impl Generation {
    /// Builds a generation from checked parts: hashes the sources and indexes every id.
    pub fn build(mut parts: GenerationParts) -> Generation {
        use sha2::{Digest, Sha256};

        parts.sources.sort_by(|a, b| a.path.cmp(&b.path));
        parts.rules.sort_by(|a, b| a.id.cmp(&b.id));
        parts.cascades.sort_by(|a, b| a.id.cmp(&b.id));
        parts.workflows.sort_by(|a, b| a.id.cmp(&b.id));
        let mut hasher = Sha256::new();
        for source in &parts.sources {
            hasher.update(source.path.as_bytes());
            hasher.update([0]);
            hasher.update(source.text.as_bytes());
            hasher.update([0]);
        }
        let hash = hex::encode(hasher.finalize());
        let index = Index {
            sensors: positions(&parts.sensors, |s| s.id.clone(), |i| SensorIx(i as u32)),
            assets: positions(&parts.assets, |a| a.id.clone(), |i| AssetIx(i as u32)),
            metrics: positions(&parts.metrics, |m| m.id.clone(), |i| i),
            domains: positions(&parts.domains, |d| d.id.clone(), |i| i),
            rules: positions(&parts.rules, |r| r.id.clone(), |i| i),
            districts: positions(&parts.districts, |d| d.code.clone(), |i| i),
            departments: positions(&parts.departments, |d| d.id.clone(), |i| i),
        };
        Generation {
            id: GenerationId::new(&hash[..16]),
            hash,
            sources: parts.sources,
            districts: parts.districts,
            departments: parts.departments,
            domains: parts.domains,
            metrics: parts.metrics,
            rules: parts.rules,
            assets: parts.assets,
            sensors: parts.sensors,
            receptors: parts.receptors,
            edges: parts.edges,
            links: parts.links,
            cascades: parts.cascades,
            workflows: parts.workflows,
            index,
        }
    }

    /// Counts of what the generation holds.
    pub fn summary(&self) -> Summary {
        Summary {
            domains: self.domains.len(),
            metrics: self.metrics.len(),
            rules: self.rules.len(),
            districts: self.districts.len(),
            departments: self.departments.len(),
            assets: self.assets.len(),
            sensors: self.sensors.len(),
            receptors: self.receptors.len(),
            edges: self.edges.len(),
            cascades: self.cascades.len(),
        }
    }

    /// The dense index of a sensor id.
    #[inline]
    pub fn sensor_ix(&self, id: &str) -> Option<SensorIx> {
        self.index.sensors.get(id).copied()
    }

    /// A sensor by dense index.
    #[inline]
    pub fn sensor_at(&self, ix: SensorIx) -> &Sensor {
        &self.sensors[ix.0 as usize]
    }

    /// A sensor by id.
    pub fn sensor(&self, id: &str) -> Option<&Sensor> {
        self.sensor_ix(id).map(|ix| self.sensor_at(ix))
    }

    /// An asset by dense index.
    #[inline]
    pub fn asset_at(&self, ix: AssetIx) -> &Asset {
        &self.assets[ix.0 as usize]
    }

    /// An asset by id.
    pub fn asset(&self, id: &str) -> Option<&Asset> {
        self.index.assets.get(id).map(|ix| self.asset_at(*ix))
    }

    /// A metric by id.
    pub fn metric(&self, id: &str) -> Option<&Metric> {
        self.index.metrics.get(id).map(|i| &self.metrics[*i])
    }

    /// Positions (in [`Generation::metrics`]) of the metrics `sensor` reports, sorted: its
    /// `metrics` list, or every metric of its domain when the list is empty.
    pub fn metrics_of(&self, sensor: &Sensor) -> Vec<u32> {
        let mut metrics: Vec<u32> = if sensor.metrics.is_empty() {
            self.metrics
                .iter()
                .enumerate()
                .filter(|(_, m)| m.domain == sensor.domain)
                .map(|(i, _)| i as u32)
                .collect()
        } else {
            sensor
                .metrics
                .iter()
                .filter_map(|id| self.index.metrics.get(id.as_str()).map(|i| *i as u32))
                .collect()
        };
        metrics.sort_unstable();
        metrics.dedup();
        metrics
    }

    /// A domain by id.
    pub fn domain(&self, id: &str) -> Option<&Domain> {
        self.index.domains.get(id).map(|i| &self.domains[*i])
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.index.rules.get(id).map(|i| &self.rules[*i])
    }

    /// The dense index of an asset id.
    pub fn asset_ix(&self, id: &str) -> Option<AssetIx> {
        self.index.assets.get(id).copied()
    }

    /// A district by GB/T 2260 code.
    pub fn district(&self, code: &str) -> Option<&District> {
        self.index.districts.get(code).map(|i| &self.districts[*i])
    }

    /// The workflow a domain's warnings follow: the one that lists the domain, else the default
    /// (the one listing no domains). `None` only for a generation built without workflows.
    pub fn workflow_for(&self, domain: &str) -> Option<&Workflow> {
        self.workflows
            .iter()
            .find(|workflow| workflow.domains.iter().any(|d| d.as_str() == domain))
            .or_else(|| {
                self.workflows
                    .iter()
                    .find(|workflow| workflow.domains.is_empty())
            })
    }

    /// A workflow by id.
    pub fn workflow(&self, id: &str) -> Option<&Workflow> {
        self.workflows
            .iter()
            .find(|workflow| workflow.id.as_str() == id)
    }

    /// A department by id.
    pub fn department(&self, id: &str) -> Option<&Department> {
        self.index
            .departments
            .get(id)
            .map(|i| &self.departments[*i])
    }
}

fn positions<T, K: std::hash::Hash + Eq, V>(
    items: &[T],
    key: impl Fn(&T) -> K,
    value: impl Fn(usize) -> V,
) -> FxHashMap<K, V> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (key(item), value(i)))
        .collect()
}

#[cfg(test)]
mod cause_tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn a_watched_reload_names_each_changed_file_with_the_hash_of_its_new_text() {
        let old = [
            file("rules/a.yaml", "a"),
            file("rules/b.yaml", "b"),
            file("city/r.yaml", "r"),
        ];
        let new = [
            file("rules/a.yaml", "a2"),
            file("city/r.yaml", "r"),
            file("rules/c.yaml", ""),
        ];
        let GenerationCause::Watch { files } = GenerationCause::watched(&old, &new) else {
            panic!("a watch cause");
        };
        let sha = |text: &str| {
            use sha2::Digest;
            Some(hex::encode(sha2::Sha256::digest(text.as_bytes())))
        };
        assert_eq!(
            files,
            [
                FileHash {
                    path: "rules/a.yaml".into(),
                    sha256: sha("a2")
                },
                FileHash {
                    path: "rules/b.yaml".into(),
                    sha256: None
                },
                FileHash {
                    path: "rules/c.yaml".into(),
                    sha256: sha("")
                },
            ]
        );
        // the empty string's SHA-256, as any tool prints it
        assert_eq!(
            files[2].sha256.as_deref(),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(
            GenerationCause::watched(&old, &old),
            GenerationCause::Watch { files: vec![] }
        );
        assert_eq!(
            GenerationCause::Api {
                actor: "user:3".into()
            }
            .actor(),
            "user:3"
        );
        assert_eq!(GenerationCause::Signal.actor(), "system:signal");
    }
}

/// Where the duty desk and the notifier get the generation in force (the runtime's gate, which a
/// reload swaps).
pub trait Generations: Send + Sync + std::fmt::Debug + 'static {
    /// The generation in force now.
    fn current(&self) -> std::sync::Arc<Generation>;
}

/// One generation that never changes (tools and tests without hot reload).
#[derive(Debug)]
pub struct FixedGeneration(pub std::sync::Arc<Generation>);

impl Generations for FixedGeneration {
    fn current(&self) -> std::sync::Arc<Generation> {
        std::sync::Arc::clone(&self.0)
    }
}

//! The context records scripts read: `sensor`, `asset` and `district`. Each is a read-only
//! [`Record`] built once per sensor and shared (an `Arc`), so giving a script its context costs
//! three reference-count bumps, not three map copies. Properties read like a map's
//! (`asset.name`, `asset["name"]`, `"name" in asset`); a misspelt property is a fault, not a
//! silent `()`; assigning to one is a fault. `asset.attributes` is an ordinary map (a copy).

use std::sync::Arc;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Map};

use crate::model::Generation;

/// Property names any record may have (a getter is registered for each).
const PROPERTIES: [&str; 7] = [
    "id",
    "kind",
    "name",
    "domain",
    "district",
    "attributes",
    "code",
];

/// A read-only record of named values.
#[derive(Clone, Debug)]
pub(crate) struct Record(Arc<Fields>);

/// What a record holds.
#[derive(Debug)]
struct Fields {
    /// `sensor`, `asset` or `district`, for messages.
    what: &'static str,
    /// (property, value), in display order.
    values: Vec<(&'static str, Dynamic)>,
}

impl Record {
    fn new(what: &'static str, values: Vec<(&'static str, Dynamic)>) -> Record {
        Record(Arc::new(Fields { what, values }))
    }

    /// The value of `property`, if the record has it.
    pub(crate) fn get(&self, property: &str) -> Option<&Dynamic> {
        self.0
            .values
            .iter()
            .find(|(name, _)| *name == property)
            .map(|(_, value)| value)
    }

    /// The value of `property`, or a fault naming the properties there are.
    fn property(&self, property: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        self.get(property).cloned().ok_or_else(|| {
            let names: Vec<&str> = self.0.values.iter().map(|(name, _)| *name).collect();
            format!(
                "`{}` has no property `{property}`; it has {}",
                self.0.what,
                names.join(", ")
            )
            .into()
        })
    }

    /// The fault for an assignment to `property`.
    fn refuse(&self, property: &str) -> Result<(), Box<EvalAltResult>> {
        Err(format!(
            "`{}.{property}` cannot be changed: the context is read-only (copy a value with `let`)",
            self.0.what
        )
        .into())
    }

    /// The record as a plain map (for display and JSON).
    pub(crate) fn to_map(&self) -> Map {
        self.0
            .values
            .iter()
            .map(|(name, value)| ((*name).into(), value.clone()))
            .collect()
    }
}

/// The three records of one sensor.
#[derive(Clone, Debug)]
pub(crate) struct Context {
    /// `sensor`: `id`, `kind`.
    pub(crate) sensor: Record,
    /// `asset`: `id`, `name`, `kind`, `domain`, `district`, `attributes`.
    pub(crate) asset: Record,
    /// `district`: `code`, `name`.
    pub(crate) district: Record,
}

impl Context {
    /// The context of sensor `s` of `generation`.
    pub(crate) fn of(generation: &Generation, s: usize) -> Context {
        let text = |s: &str| Dynamic::from(ImmutableString::from(s));
        let sensor = &generation.sensors[s];
        let asset = generation.asset_at(sensor.asset_ix);
        let attributes: Map = asset
            .attributes
            .iter()
            .map(|(name, value)| (name.as_str().into(), Dynamic::from_float(*value)))
            .collect();
        let district_name = generation
            .district(asset.district.as_str())
            .map_or("", |d| d.name.as_str());
        Context {
            sensor: Record::new(
                "sensor",
                vec![
                    ("id", text(sensor.id.as_str())),
                    ("kind", text(&sensor.kind)),
                ],
            ),
            asset: Record::new(
                "asset",
                vec![
                    ("id", text(asset.id.as_str())),
                    ("name", text(&asset.name)),
                    ("kind", text(&asset.kind)),
                    ("domain", text(asset.domain.as_str())),
                    ("district", text(asset.district.as_str())),
                    ("attributes", Dynamic::from_map(attributes)),
                ],
            ),
            district: Record::new(
                "district",
                vec![
                    ("code", text(asset.district.as_str())),
                    ("name", text(district_name)),
                ],
            ),
        }
    }
}

/// Registers [`Record`] with its getters, indexer, `in` and display.
pub(crate) fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Record>("Record");
    for name in PROPERTIES {
        engine.register_get(name, move |r: &mut Record| r.property(name));
        // A setter that refuses: without it Rhai would let `asset.attributes.maop = 1.0`
        // change a temporary copy and say nothing.
        engine.register_set(name, move |r: &mut Record, _: Dynamic| r.refuse(name));
    }
    engine.register_indexer_get(|r: &mut Record, property: &str| r.property(property));
    engine.register_indexer_set(|r: &mut Record, property: &str, _: Dynamic| r.refuse(property));
    engine.register_fn("contains", |r: &mut Record, property: &str| {
        r.get(property).is_some()
    });
    engine.register_fn("to_string", |r: &mut Record| {
        Dynamic::from_map(r.to_map()).to_string()
    });
    engine.register_fn("to_debug", |r: &mut Record| {
        Dynamic::from_map(r.to_map()).to_string()
    });
}

//! Identifier newtypes. Each kind of id is its own type so that a sensor id can never be passed
//! where an asset id is expected; all are cheap to clone (`Arc<str>`).

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(std::sync::Arc<str>);

        impl $name {
            /// Wraps a string that has already been checked by the config compiler or the ingest gate.
            pub fn new(id: impl Into<std::sync::Arc<str>>) -> Self {
                Self(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        // In the API contract an id is its text.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <String as utoipa::PartialSchema>::schema()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self::new(id)
            }
        }
    };
}

id_type!(
    /// A monitoring point (device) as registered in `city/` (e.g. `gas-ch4-0001`).
    SensorId
);
id_type!(
    /// A risk object: pipe segment, well, bridge, site, station (e.g. `well-hp-017`).
    AssetId
);
id_type!(
    /// One of the 17 domains (e.g. `city_gas`).
    DomainId
);
id_type!(
    /// A metric defined by a domain (e.g. `gas.ch4_adjacent`).
    MetricId
);
id_type!(
    /// A rule (e.g. `gas.ch4_adjacent.ladder`).
    RuleId
);
id_type!(
    /// What can go wrong on an asset (e.g. `gas_leak`); one open warning per (asset, hazard).
    HazardId
);
id_type!(
    /// A department or unit that receives warnings (e.g. `shenyang.construction`).
    DepartmentId
);
id_type!(
    /// A district by its GB/T 2260 administrative division code (e.g. `210102` for 和平区).
    DistrictCode
);
id_type!(
    /// A compiled configuration generation: the first 16 hex digits of its content hash.
    GenerationId
);

pub(crate) use id_type;

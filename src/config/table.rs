//! CSV registries (`city/sensors*.csv`, `city/assets*.csv`): the spreadsheet form of the sensor
//! and asset lists that utilities usually hand over. Each row becomes the same raw struct a YAML
//! item would, with positions recorded under the same paths (`sensors[3].asset`), so `compile`
//! treats both forms alike. Empty cells mean "not given".

use std::collections::BTreeMap;

use super::diagnostic::{Code, Diagnostic};
use super::format::Positions;
use super::raw::{AssetDef, LadderDef, Levels, LocationDef, RegistryDoc, SensorDef, Text};

/// Which registry a CSV file holds, from its file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// `sensors*.csv`.
    Sensors,
    /// `assets*.csv`.
    Assets,
}

impl Table {
    /// The table a file name stands for, if any.
    pub fn from_file_name(name: &str) -> Option<Table> {
        if name.starts_with("sensors") {
            Some(Table::Sensors)
        } else if name.starts_with("assets") {
            Some(Table::Assets)
        } else {
            None
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Sensors => &[
                "id",
                "asset",
                "domain",
                "kind",
                "district",
                "department",
                "lon",
                "lat",
                "metrics",
                "thresholds",
            ],
            Table::Assets => &[
                "id",
                "name",
                "domain",
                "kind",
                "district",
                "owner",
                "lon",
                "lat",
                "attributes",
            ],
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            Table::Sensors => &["id", "asset"],
            Table::Assets => &["id", "name", "domain", "kind", "owner"],
        }
    }

    fn list(self) -> &'static str {
        match self {
            Table::Sensors => "sensors",
            Table::Assets => "assets",
        }
    }
}

/// One row as cells by column name, with their positions.
struct Row<'a> {
    cells: BTreeMap<&'a str, (String, (usize, usize))>,
    line: usize,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.cells
            .get(column)
            .map(|(value, _)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    fn at(&self, column: &str) -> (usize, usize) {
        self.cells
            .get(column)
            .map_or((self.line, 1), |(_, position)| *position)
    }
}

/// Reads a CSV table into a registry document with positions; every problem is reported.
pub fn parse_table(
    file: &str,
    text: &str,
    table: Table,
) -> Result<(RegistryDoc, Positions), Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => return Err(vec![csv_error(file, &error)]),
    };
    let header_columns = lines.first().map(|l| field_columns(l)).unwrap_or_default();
    let known = table.columns();
    for (index, name) in headers.iter().enumerate() {
        if !known.contains(&name) {
            let column = header_columns.get(index).copied().unwrap_or(1);
            diagnostics.push(
                Diagnostic::new(
                    Code::UnknownKey,
                    file,
                    (1, column),
                    format!("unknown column `{name}`"),
                )
                .with_hint(format!(
                    "expected one of {}",
                    known
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    for required in table.required() {
        if !headers.iter().any(|h| h == *required) {
            diagnostics.push(Diagnostic::new(
                Code::MissingKey,
                file,
                (1, 1),
                format!("missing column `{required}`"),
            ));
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let mut doc = RegistryDoc::default();
    let mut positions = Positions::default();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                diagnostics.push(csv_error(file, &error));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let columns = lines
            .get(line.wrapping_sub(1))
            .map(|l| field_columns(l))
            .unwrap_or_default();
        let mut row = Row {
            cells: BTreeMap::new(),
            line,
        };
        for (i, (name, value)) in headers.iter().zip(record.iter()).enumerate() {
            let column = columns.get(i).copied().unwrap_or(1);
            row.cells.insert(name, (value.to_owned(), (line, column)));
        }
        let path = format!("{}[{index}]", table.list());
        positions.insert(path.clone(), (line, 1));
        for (name, (_, at)) in &row.cells {
            positions.insert(format!("{path}.{name}"), *at);
        }
        // The YAML form's paths, so that checks written against it point at the right cell.
        for (column, paths) in [
            ("lon", ["location", "location.lon"]),
            ("lat", ["location.lat", "location.lat"]),
        ] {
            if row.cells.contains_key(column) {
                for sub in paths {
                    positions.insert(format!("{path}.{sub}"), row.at(column));
                }
            }
        }
        if let Some(text) = row.get("metrics") {
            for j in 0..split_list(text).len() {
                positions.insert(format!("{path}.metrics[{j}]"), row.at("metrics"));
            }
        }
        let location = location(file, &row, &mut diagnostics);
        match table {
            Table::Sensors => {
                let thresholds = thresholds(file, &row, &path, &mut positions, &mut diagnostics);
                doc.sensors.push(SensorDef {
                    id: row.get("id").unwrap_or_default().to_owned(),
                    asset: row.get("asset").unwrap_or_default().to_owned(),
                    domain: row.get("domain").map(str::to_owned),
                    kind: row.get("kind").map(str::to_owned),
                    district: row.get("district").map(|d| Text(d.to_owned())),
                    department: row.get("department").map(str::to_owned),
                    location,
                    metrics: split_list(row.get("metrics").unwrap_or_default()),
                    thresholds,
                });
            }
            Table::Assets => {
                let attributes = attributes(file, &row, &mut diagnostics);
                doc.assets.push(AssetDef {
                    id: row.get("id").unwrap_or_default().to_owned(),
                    name: row.get("name").unwrap_or_default().to_owned(),
                    domain: row.get("domain").unwrap_or_default().to_owned(),
                    kind: row.get("kind").unwrap_or_default().to_owned(),
                    district: row.get("district").map(|d| Text(d.to_owned())),
                    owner: row.get("owner").unwrap_or_default().to_owned(),
                    location,
                    attributes,
                });
            }
        }
        for required in table.required() {
            if row.get(required).is_none() {
                diagnostics.push(Diagnostic::new(
                    Code::MissingKey,
                    file,
                    row.at(required),
                    format!("empty `{required}` in row {}", index + 1),
                ));
            }
        }
    }
    if diagnostics.is_empty() {
        Ok((doc, positions))
    } else {
        Err(diagnostics)
    }
}

fn csv_error(file: &str, error: &csv::Error) -> Diagnostic {
    let line = error.position().map_or(0, |p| p.line() as usize);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("row has {len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "text is not UTF-8".to_owned(),
        _ => error.to_string(),
    };
    Diagnostic::new(
        Code::MalformedYaml,
        file,
        (line, 1),
        format!("malformed CSV: {message}"),
    )
}

/// `lon` and `lat`, both or neither.
fn location(file: &str, row: &Row<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<LocationDef> {
    let lon = number(file, row, "lon", diagnostics);
    let lat = number(file, row, "lat", diagnostics);
    match (row.get("lon"), row.get("lat")) {
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            diagnostics.push(Diagnostic::new(
                Code::MissingKey,
                file,
                (row.line, 1),
                "give both `lon` and `lat`, or neither",
            ));
            None
        }
        (Some(_), Some(_)) => Some(LocationDef {
            lon: lon?,
            lat: lat?,
        }),
    }
}

fn number(
    file: &str,
    row: &Row<'_>,
    column: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let text = row.get(column)?;
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Some(value),
        _ => {
            diagnostics.push(
                Diagnostic::new(
                    Code::WrongType,
                    file,
                    row.at(column),
                    format!("wrong type for `{column}`: found `{text}`"),
                )
                .with_hint("expected a number"),
            );
            None
        }
    }
}

/// `a;b c` -> `[a, b, c]`.
fn split_list(text: &str) -> Vec<String> {
    text.split([';', ' '])
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `gas.ch4_adjacent=5/10/20/50;gas.pressure=-/-/0.4/0.5` (`-` leaves a level out).
fn thresholds(
    file: &str,
    row: &Row<'_>,
    path: &str,
    positions: &mut Positions,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, LadderDef> {
    let mut ladders = BTreeMap::new();
    let Some(text) = row.get("thresholds") else {
        return ladders;
    };
    let at = row.at("thresholds");
    for item in text.split(';').filter(|item| !item.trim().is_empty()) {
        let parsed = item.split_once('=').and_then(|(metric, values)| {
            let values: Vec<&str> = values.split('/').map(str::trim).collect();
            if values.len() != 4 {
                return None;
            }
            let mut levels = [None; 4];
            for (slot, value) in levels.iter_mut().zip(&values) {
                if *value != "-" {
                    *slot = Some(value.parse::<f64>().ok().filter(|v| v.is_finite())?);
                }
            }
            Some((metric.trim().to_owned(), levels))
        });
        match parsed {
            Some((metric, [blue, yellow, orange, red])) => {
                let base = format!("{path}.thresholds.{metric}");
                positions.insert(base.clone(), at);
                positions.insert(format!("{base}.levels"), at);
                ladders.insert(
                    metric,
                    LadderDef {
                        direction: None,
                        levels: Levels {
                            blue,
                            yellow,
                            orange,
                            red,
                        },
                    },
                );
            }
            None => diagnostics.push(
                Diagnostic::new(
                    Code::BadValue,
                    file,
                    at,
                    format!("cannot read threshold override `{}`", item.trim()),
                )
                .with_hint(
                    "write `metric=blue/yellow/orange/red` with `-` for a level left out, \
                     several separated by `;`",
                ),
            ),
        }
    }
    ladders
}

/// `dn_mm=300;design_value=20`.
fn attributes(
    file: &str,
    row: &Row<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, f64> {
    let mut attributes = BTreeMap::new();
    let Some(text) = row.get("attributes") else {
        return attributes;
    };
    for item in text.split(';').filter(|item| !item.trim().is_empty()) {
        match item
            .split_once('=')
            .and_then(|(k, v)| Some((k.trim(), v.trim().parse::<f64>().ok()?)))
        {
            Some((key, value)) => {
                attributes.insert(key.to_owned(), value);
            }
            None => diagnostics.push(
                Diagnostic::new(
                    Code::BadValue,
                    file,
                    row.at("attributes"),
                    format!("cannot read attribute `{}`", item.trim()),
                )
                .with_hint("write `name=number`, several separated by `;`"),
            ),
        }
    }
    attributes
}

/// 1-based character column where each field of a CSV line starts (quote-aware).
fn field_columns(line: &str) -> Vec<usize> {
    let mut columns = vec![1];
    let mut quoted = false;
    for (index, c) in line.chars().enumerate() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => columns.push(index + 2),
            _ => {}
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensors_rows_become_raw_sensors_with_positions() {
        let text = "id,asset,lon,lat,metrics,thresholds\n\
                    s1,a1,123.4,41.8,gas.ch4_adjacent,gas.ch4_adjacent=4/8/-/40\n";
        let (doc, positions) = parse_table("city/sensors.csv", text, Table::Sensors).unwrap();
        let sensor = &doc.sensors[0];
        assert_eq!(sensor.id, "s1");
        assert_eq!(sensor.metrics, vec!["gas.ch4_adjacent".to_owned()]);
        let ladder = &sensor.thresholds["gas.ch4_adjacent"];
        assert_eq!(ladder.levels.orange, None);
        assert_eq!(ladder.levels.red, Some(40.0));
        assert_eq!(positions.at("sensors[0].asset"), (2, 4));
        assert_eq!(
            positions.at("sensors[0].thresholds.gas.ch4_adjacent"),
            (2, 35)
        );
    }

    #[test]
    fn unknown_columns_and_bad_cells_are_reported() {
        let text = "id,asset,colour\ns1,a1,red\n";
        let errors = parse_table("s.csv", text, Table::Sensors).unwrap_err();
        assert_eq!(
            errors[0].to_string().lines().next().unwrap(),
            "s.csv:1:10: error[unknown_key]: unknown column `colour`"
        );
        let text = "id,asset,lon,lat\ns1,a1,east,41\n";
        let errors = parse_table("s.csv", text, Table::Sensors).unwrap_err();
        assert_eq!(errors[0].code, Code::WrongType);
        assert_eq!((errors[0].line, errors[0].column), (2, 7));
    }
}

//! `city/contacts*.csv`: the spreadsheet form of `people:` that personnel offices hand over.
//! Columns `id,name,department,district,roles,phone,email,channels`; `roles` and `channels` are
//! separated by `;` or spaces; empty cells mean "not given". Each row becomes a [`PersonDef`]
//! with positions under `people[i].<column>`, so the checks treat both forms alike.

use crate::config::format::Positions;
use crate::config::raw::Text;
use crate::config::{Code, Diagnostic};

use super::raw::PersonDef;

const COLUMNS: [&str; 8] = [
    "id",
    "name",
    "department",
    "district",
    "roles",
    "phone",
    "email",
    "channels",
];

/// The people of a contacts CSV file with positions, or every problem found.
pub(super) fn parse_people(
    file: &str,
    text: &str,
) -> Result<(Vec<PersonDef>, Positions), Vec<Diagnostic>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => return Err(vec![csv_error(file, &error)]),
    };
    let mut found = Vec::new();
    let mut index_of = [None; 8];
    for (column, name) in headers.iter().enumerate() {
        match COLUMNS.iter().position(|known| *known == name) {
            Some(slot) => index_of[slot] = Some(column),
            None => found.push(
                Diagnostic::new(
                    Code::UnknownKey,
                    file,
                    (1, column + 1),
                    format!("unknown column `{name}`"),
                )
                .with_hint(format!("columns are {}", COLUMNS.join(","))),
            ),
        }
    }
    for (slot, name) in COLUMNS.iter().enumerate().take(3) {
        if index_of[slot].is_none() {
            found.push(Diagnostic::new(
                Code::MissingKey,
                file,
                (1, 1),
                format!("missing column `{name}`"),
            ));
        }
    }
    if !found.is_empty() {
        return Err(found);
    }
    let mut positions = Positions::default();
    let mut people = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                found.push(csv_error(file, &error));
                continue;
            }
        };
        let line = record
            .position()
            .map_or(row + 2, |p| usize::try_from(p.line()).unwrap_or(row + 2));
        let cell = |slot: usize| -> Option<String> {
            index_of[slot]
                .and_then(|column| record.get(column))
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        for (slot, name) in COLUMNS.iter().enumerate() {
            if let Some(column) = index_of[slot] {
                positions.insert(format!("people[{row}].{name}"), (line, column + 1));
            }
        }
        positions.insert(format!("people[{row}]"), (line, 1));
        let list = |slot: usize| -> Vec<String> {
            cell(slot)
                .map(|value| {
                    value
                        .split([';', ' '])
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        people.push(PersonDef {
            id: cell(0).unwrap_or_default(),
            name: cell(1).unwrap_or_default(),
            department: cell(2).unwrap_or_default(),
            district: cell(3).map(Text),
            roles: list(4),
            phone: cell(5).map(Text),
            email: cell(6),
            channels: list(7),
            drill: false,
        });
    }
    if found.is_empty() {
        Ok((people, positions))
    } else {
        Err(found)
    }
}

fn csv_error(file: &str, error: &csv::Error) -> Diagnostic {
    let line = error
        .position()
        .map_or(1, |p| usize::try_from(p.line()).unwrap_or(1));
    Diagnostic::new(
        Code::MalformedYaml,
        file,
        (line, 1),
        format!("malformed CSV: {error}"),
    )
    .with_hint("every row needs as many cells as the header; quote cells that contain commas")
}

//! One configured item (a rule, a sensor, a domain ...) with the document and path it came
//! from, so any check can point at `file:line:column` of a key; and the layering of items by id:
//! the deployment replaces a shipped item with the same id, while two items with one id in the
//! same layer are a `duplicate_id`.

use std::collections::HashMap;

pub(crate) use crate::text::{edit_distance, suggest};

use crate::config::{Code, Diagnostic, Document};
use crate::model::Department;

/// A raw item and where it was written.
#[derive(Debug)]
pub(super) struct Item<'a, T> {
    /// Its id (district code for districts).
    pub(super) id: String,
    /// The document it is in.
    pub(super) doc: &'a Document,
    /// Its path in the document (`rules[2]`; empty for a whole-document item).
    pub(super) path: String,
    /// The raw definition.
    pub(super) def: &'a T,
}

impl<'a, T> Item<'a, T> {
    /// Wraps a raw definition.
    pub(super) fn new(id: String, doc: &'a Document, path: String, def: &'a T) -> Self {
        Item { id, doc, path, def }
    }

    /// The path of `key` under this item (`key` may itself be a path: `threshold.levels`).
    pub(super) fn key_path(&self, key: &str) -> String {
        match (self.path.is_empty(), key.is_empty()) {
            (_, true) => self.path.clone(),
            (true, false) => key.to_owned(),
            (false, false) => format!("{}.{key}", self.path),
        }
    }

    /// Position of `key` under this item.
    pub(super) fn at(&self, key: &str) -> (usize, usize) {
        self.doc.positions.at(&self.key_path(key))
    }

    /// A diagnostic pointing at `key`.
    pub(super) fn error(&self, code: Code, key: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.doc.file.clone(), self.at(key), message)
    }

    /// `file:line:column` of `key`, for hints that point elsewhere.
    pub(super) fn place(&self, key: &str) -> String {
        let (line, column) = self.at(key);
        format!("{}:{line}:{column}", self.doc.file)
    }
}

/// Layers items by id: later layers replace earlier ones in place; duplicates within one layer
/// are reported at the second occurrence (which is dropped).
pub(super) fn merge<'a, T>(
    items: Vec<Item<'a, T>>,
    kind: &str,
    id_key: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Item<'a, T>> {
    let mut merged: Vec<Item<'a, T>> = Vec::with_capacity(items.len());
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for item in items {
        match by_id.get(&item.id) {
            Some(&existing) if merged[existing].doc.layer == item.doc.layer => {
                diagnostics.push(
                    item.error(
                        Code::DuplicateId,
                        id_key,
                        format!("duplicate {kind} id `{}`", item.id),
                    )
                    .with_hint(format!(
                        "first defined at {}",
                        merged[existing].place(id_key)
                    )),
                );
            }
            Some(&existing) => merged[existing] = item,
            None => {
                by_id.insert(item.id.clone(), merged.len());
                merged.push(item);
            }
        }
    }
    merged
}

/// True when `id` is a registered department; otherwise pushes `unknown_department` at `key`
/// of `item`, with the closest department as a hint.
pub(super) fn known_department<T>(
    item: &Item<'_, T>,
    key: &str,
    id: &str,
    departments: &[Department],
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let known = departments.iter().any(|d| d.id.as_str() == id);
    if !known {
        diagnostics.push(
            item.error(
                Code::UnknownDepartment,
                key,
                format!("unknown department `{id}`"),
            )
            .with_hint(suggest(
                id,
                departments.iter().map(|d| d.id.as_str()),
                "departments",
            )),
        );
    }
    known
}

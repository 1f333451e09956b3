//! Contacts documents -> [`Directory`]: every reference checked against the compiled
//! generation (departments, districts), every person's channels checked for an address, robot
//! and webhook secrets given by reference only; rosters are checked by `super::roster_check`.
//! All problems are collected, each at `file:line:column` with a did-you-mean hint where one
//! helps.

use std::collections::{HashMap, HashSet};

use crate::config::format::{Positions, parse_yaml};
use crate::config::raw::Version;
use crate::config::{Code, Diagnostic};
use crate::model::{DepartmentId, DistrictCode, Generation, SourceFile};
use crate::roster::PersonId;
use crate::text::suggest;

use super::raw::{ContactsDoc, PersonDef};
use super::table::parse_people;
use super::{Directory, Endpoint, Medium, Person, Reference};

/// China Standard Time, the default `timezone:`.
const DEFAULT_OFFSET: i32 = 8 * 3600;

/// Compiles the contacts files (`*.yaml` documents and `*.csv` people tables) against
/// `generation`. Returns every diagnostic, sorted, when any file has a problem.
pub fn compile(
    files: &[SourceFile],
    generation: &Generation,
) -> Result<Directory, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let mut parsed: Vec<(&str, ContactsDoc, Positions)> = Vec::new();
    for file in files {
        let result = if file.path.ends_with(".csv") {
            parse_people(&file.path, &file.text).map(|(people, positions)| {
                (
                    ContactsDoc {
                        version: Version,
                        timezone: None,
                        people,
                        robots: Vec::new(),
                        webhooks: Vec::new(),
                        rosters: Vec::new(),
                    },
                    positions,
                )
            })
        } else {
            parse_yaml::<ContactsDoc>(&file.path, &file.text)
        };
        match result {
            Ok((doc, positions)) => parsed.push((file.path.as_str(), doc, positions)),
            Err(found) => diagnostics.extend(found),
        }
    }
    let mut checker = Checker {
        generation,
        diagnostics,
    };
    let offset_seconds = checker.timezone(&parsed);
    let endpoints = checker.endpoints(&parsed);
    let mut people = checker.people(&parsed, &endpoints);
    people.extend(registry_contacts(generation, &people));
    // Every id written counts as known, so a person with a bad department is not reported again
    // wherever a roster names them.
    let known: HashSet<&str> = parsed
        .iter()
        .flat_map(|(_, doc, _)| doc.people.iter().map(|p| p.id.as_str()))
        .filter(|id| !id.trim().is_empty())
        .collect();
    let rosters = checker.rosters(&parsed, &known, offset_seconds);
    let mut diagnostics = checker.diagnostics;
    if diagnostics.is_empty() {
        Ok(Directory::new(people, endpoints, rosters))
    } else {
        Diagnostic::sort(&mut diagnostics);
        diagnostics.dedup();
        Err(diagnostics)
    }
}

/// Collects diagnostics while checking references.
pub(super) struct Checker<'g> {
    pub(super) generation: &'g Generation,
    pub(super) diagnostics: Vec<Diagnostic>,
}

/// Where a problem is: the file and its positions.
pub(super) type Place<'p> = (&'p str, &'p Positions);

impl Checker<'_> {
    pub(super) fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(super) fn at(
        &mut self,
        place: Place<'_>,
        path: &str,
        code: Code,
        message: String,
    ) -> usize {
        self.push(Diagnostic::new(code, place.0, place.1.at(path), message));
        self.diagnostics.len() - 1
    }

    pub(super) fn hint(&mut self, index: usize, hint: impl Into<String>) {
        if let Some(diagnostic) = self.diagnostics.get_mut(index) {
            diagnostic.hint = Some(hint.into());
        }
    }

    /// The department `id`, or an `unknown_department` at `path`.
    pub(super) fn department(
        &mut self,
        place: Place<'_>,
        path: &str,
        id: &str,
    ) -> Option<DepartmentId> {
        if self.generation.department(id).is_some() {
            return Some(DepartmentId::new(id));
        }
        let index = self.at(
            place,
            path,
            Code::UnknownDepartment,
            format!("unknown department `{id}`"),
        );
        let hint = suggest(
            id,
            self.generation.departments.iter().map(|d| d.id.as_str()),
            "departments",
        );
        self.hint(index, hint);
        None
    }

    /// The first `timezone:` written (all must agree), else `+08:00`.
    fn timezone(&mut self, parsed: &[(&str, ContactsDoc, Positions)]) -> i32 {
        let mut chosen: Option<i32> = None;
        for (file, doc, positions) in parsed {
            let Some(text) = &doc.timezone else { continue };
            let place = (*file, positions);
            match parse_offset(text) {
                None => {
                    let index = self.at(
                        place,
                        "timezone",
                        Code::BadValue,
                        format!("`{text}` is not a UTC offset"),
                    );
                    self.hint(index, "write a fixed offset such as `+08:00`");
                }
                Some(offset) if chosen.is_some_and(|c| c != offset) => {
                    self.at(
                        place,
                        "timezone",
                        Code::Conflict,
                        format!("timezone `{text}` differs from another contacts file's"),
                    );
                }
                Some(offset) => chosen = Some(offset),
            }
        }
        chosen.unwrap_or(DEFAULT_OFFSET)
    }

    /// Robots and webhooks, each with a known department and a secret given by reference.
    fn endpoints(&mut self, parsed: &[(&str, ContactsDoc, Positions)]) -> Vec<Endpoint> {
        let mut out = Vec::new();
        for (file, doc, positions) in parsed {
            let place = (*file, positions);
            let robots = doc.robots.iter().enumerate().map(|(i, r)| {
                (
                    format!("robots[{i}]"),
                    &r.department,
                    Some(r.kind.as_str()),
                    &r.name,
                    &r.url,
                    r.secret.as_deref(),
                    r.drill,
                )
            });
            let webhooks = doc.webhooks.iter().enumerate().map(|(i, w)| {
                (
                    format!("webhooks[{i}]"),
                    &w.department,
                    None,
                    &w.name,
                    &w.url,
                    w.secret.as_deref(),
                    w.drill,
                )
            });
            for (path, department, kind, name, url, secret, drill) in robots.chain(webhooks) {
                let department = self.department(place, &format!("{path}.department"), department);
                let medium = match kind {
                    None => Some(Medium::Webhook),
                    Some(kind) => self.robot_kind(place, &format!("{path}.kind"), kind),
                };
                let url = self.url(place, &format!("{path}.url"), url);
                let secret = secret.and_then(|s| self.secret(place, &format!("{path}.secret"), s));
                if let (Some(department), Some(medium), Some(url)) = (department, medium, url) {
                    out.push(Endpoint {
                        department,
                        medium,
                        name: name.clone(),
                        url,
                        secret,
                        drill,
                    });
                }
            }
        }
        out
    }

    fn robot_kind(&mut self, place: Place<'_>, path: &str, kind: &str) -> Option<Medium> {
        match Medium::parse(kind) {
            Some(m @ (Medium::Dingtalk | Medium::Wecom | Medium::Feishu)) => Some(m),
            _ => {
                let index = self.at(
                    place,
                    path,
                    Code::UnknownChannel,
                    format!("unknown robot kind `{kind}`"),
                );
                let hint = suggest(
                    kind,
                    ["dingtalk", "wecom", "feishu"].into_iter(),
                    "robot kinds",
                );
                self.hint(index, hint);
                None
            }
        }
    }

    fn url(&mut self, place: Place<'_>, path: &str, url: &str) -> Option<Reference> {
        let reference = Reference::parse(url);
        let ok = match &reference {
            Reference::Env(name) => valid_env_name(name),
            Reference::Literal(text) => text.starts_with("http://") || text.starts_with("https://"),
        };
        if ok {
            return Some(reference);
        }
        let index = self.at(
            place,
            path,
            Code::BadValue,
            "not a URL or `env:NAME`".to_owned(),
        );
        self.hint(
            index,
            "write `https://...`, or `env:NAME` to read it from the environment",
        );
        None
    }

    /// A secret must be a reference: the file never holds it.
    fn secret(&mut self, place: Place<'_>, path: &str, secret: &str) -> Option<Reference> {
        match Reference::parse(secret) {
            Reference::Env(name) if valid_env_name(&name) => Some(Reference::Env(name)),
            _ => {
                // Never repeat the value: it may be the secret itself.
                let index = self.at(
                    place,
                    path,
                    Code::BadValue,
                    "a secret must be given as `env:NAME`, never written in the file".to_owned(),
                );
                self.hint(
                    index,
                    "put the secret in an environment variable and write `secret: env:NAME`",
                );
                None
            }
        }
    }

    /// People: unique ids, known departments and districts, channels with an address each.
    fn people(
        &mut self,
        parsed: &[(&str, ContactsDoc, Positions)],
        endpoints: &[Endpoint],
    ) -> Vec<Person> {
        let mut out: Vec<Person> = Vec::new();
        let mut seen: HashMap<String, (String, (usize, usize))> = HashMap::new();
        for (file, doc, positions) in parsed {
            let place = (*file, positions);
            for (i, def) in doc.people.iter().enumerate() {
                let path = format!("people[{i}]");
                let at = positions.at(&format!("{path}.id"));
                if let Some((first_file, (line, column))) = seen.get(&def.id) {
                    let message = format!(
                        "person `{}` is already defined at {first_file}:{line}:{column}",
                        def.id
                    );
                    self.push(Diagnostic::new(Code::DuplicateId, *file, at, message));
                    continue;
                }
                seen.insert(def.id.clone(), ((*file).to_owned(), at));
                if let Some(person) = self.person(place, &path, def, endpoints) {
                    out.push(person);
                }
            }
        }
        out
    }

    fn person(
        &mut self,
        place: Place<'_>,
        path: &str,
        def: &PersonDef,
        endpoints: &[Endpoint],
    ) -> Option<Person> {
        if def.id.trim().is_empty() {
            self.at(
                place,
                &format!("{path}.id"),
                Code::MissingKey,
                "a person needs an `id`".to_owned(),
            );
            return None;
        }
        let department = self.department(place, &format!("{path}.department"), &def.department);
        let district = match &def.district {
            Some(code) if self.generation.district(&code.0).is_none() => {
                let index = self.at(
                    place,
                    &format!("{path}.district"),
                    Code::UnknownDistrict,
                    format!("unknown district `{}`", code.0),
                );
                let hint = suggest(
                    &code.0,
                    self.generation.districts.iter().map(|d| d.code.as_str()),
                    "districts",
                );
                self.hint(index, hint);
                None
            }
            Some(code) => Some(DistrictCode::new(code.0.as_str())),
            None => None,
        };
        let phone = def.phone.as_ref().map(|p| p.0.trim().to_owned());
        if let Some(phone) = &phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone
                .chars()
                .all(|c| c.is_ascii_digit() || "+- ".contains(c));
            if digits < 5 || !allowed {
                let index = self.at(
                    place,
                    &format!("{path}.phone"),
                    Code::BadValue,
                    format!("`{phone}` is not a phone number"),
                );
                self.hint(index, "write digits, optionally with a leading `+` and country code: `+8613700000001`");
            }
        }
        if let Some(email) = def
            .email
            .as_ref()
            .filter(|e| !e.contains('@') || e.contains(' '))
        {
            self.at(
                place,
                &format!("{path}.email"),
                Code::BadValue,
                format!("`{email}` is not an e-mail address"),
            );
        }
        let department = department?;
        let mut channels = Vec::new();
        for (j, word) in def.channels.iter().enumerate() {
            let at = format!("{path}.channels[{j}]");
            let Some(medium) = Medium::parse(word) else {
                let index = self.at(
                    place,
                    &at,
                    Code::UnknownChannel,
                    format!("unknown channel `{word}`"),
                );
                let hint = suggest(word, Medium::ALL.iter().map(|m| m.as_str()), "channels");
                self.hint(index, hint);
                continue;
            };
            let missing = match medium {
                Medium::Sms | Medium::Phone => phone.is_none().then_some("has no `phone`"),
                Medium::Email => def.email.is_none().then_some("has no `email`"),
                _ => (!endpoints
                    .iter()
                    .any(|e| e.department == department && e.medium == medium))
                .then_some("has a department without such a robot or webhook"),
            };
            if let Some(missing) = missing {
                let index = self.at(
                    place,
                    &at,
                    Code::NoAddress,
                    format!("`{}` is listed for `{word}` but {missing}", def.id),
                );
                self.hint(
                    index,
                    format!("add the address, or remove `{word}` from `channels`"),
                );
                continue;
            }
            if !channels.contains(&medium) {
                channels.push(medium);
            }
        }
        if def.channels.is_empty() {
            if phone.is_some() {
                channels.push(Medium::Sms);
            }
            if def.email.is_some() {
                channels.push(Medium::Email);
            }
        }
        Some(Person {
            id: PersonId::new(def.id.as_str()),
            name: def.name.clone(),
            department,
            district,
            roles: def.roles.clone(),
            phone,
            email: def.email.clone(),
            channels,
            drill: def.drill,
        })
    }
}

/// The duty contacts of `city/departments.yaml` (`contacts: [{role, phone, email}]`) of every
/// department the contacts files list nobody for, as people: a `duty_leader` contact holds
/// `duty_leader`, any other (the duty desk) `duty_officer`. Their ids are `<department>#<n>`
/// (1-based), so they cannot clash with a written id. A mobile number gets `sms` then `phone`, a
/// landline `phone` only; an e-mail address `email`.
fn registry_contacts(generation: &Generation, listed: &[Person]) -> Vec<Person> {
    let mut out = Vec::new();
    for department in &generation.departments {
        if listed.iter().any(|p| p.department == department.id) {
            continue;
        }
        for (n, contact) in department.contacts.iter().enumerate() {
            let role = if contact.role.split_whitespace().any(|w| w == "duty_leader") {
                "duty_leader"
            } else {
                "duty_officer"
            };
            let mut channels = Vec::new();
            if let Some(phone) = &contact.phone {
                if is_mobile(phone) {
                    channels.push(Medium::Sms);
                }
                channels.push(Medium::Phone);
            }
            if contact.email.is_some() {
                channels.push(Medium::Email);
            }
            out.push(Person {
                id: PersonId::new(format!("{}#{}", department.id, n + 1)),
                name: format!("{} {}", department.name, contact.role),
                department: department.id.clone(),
                district: department.district.clone(),
                roles: vec![role.to_owned()],
                phone: contact.phone.clone(),
                email: contact.email.clone(),
                channels,
                drill: false,
            });
        }
    }
    out
}

/// A mainland mobile number (`13700000001`, `+8613700000001`) rather than a landline.
fn is_mobile(phone: &str) -> bool {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = digits
        .strip_prefix("86")
        .filter(|_| phone.starts_with('+'))
        .unwrap_or(&digits);
    national.len() == 11 && national.starts_with('1')
}

/// True for a conventional environment variable name.
fn valid_env_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// `+08:00`, `-05:30`, `+8`, `UTC` -> seconds east of UTC.
pub(super) fn parse_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("utc") || text == "Z" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    ((0..=14).contains(&hours) && (0..60).contains(&minutes))
        .then_some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets() {
        let offsets = [
            ("+08:00", Some(28_800)),
            ("-05:30", Some(-19_800)),
            ("UTC", Some(0)),
            ("+8", Some(28_800)),
            ("08:00", None),
            ("+15:00", None),
        ];
        for (text, expected) in offsets {
            assert_eq!(parse_offset(text), expected, "{text}");
        }
    }

    #[test]
    fn tells_mobiles_from_landlines() {
        let table = [
            ("13700000001", true),
            ("+8613700000001", true),
            ("+86 137-0000-0001", true),
            ("024-00000101", false),
            ("8613700000001", false),
            ("110", false),
        ];
        for (phone, mobile) in table {
            assert_eq!(is_mobile(phone), mobile, "{phone}");
        }
    }
}

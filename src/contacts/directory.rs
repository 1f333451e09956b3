//! The compiled contacts: who a workflow recipient word means at an instant, and how to reach
//! them. Departments come from `crate::workflow::routing` (one place decides which departments a
//! word names); this module picks the people of those departments on duty for the word's role
//! and lists their addresses in each person's preferred channel order, then the departments'
//! robots and webhooks.

use std::collections::HashMap;

use crate::model::{DepartmentId, Generation, Recipient, Timestamp, Workflow};
use crate::roster::{self, PersonId, Rosters};
use crate::workflow::WarningFacts;
use crate::workflow::routing;

use super::{Endpoint, Medium, Person, Reference};

/// Everyone who can be told, with their rosters.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    people: Vec<Person>,
    index: HashMap<PersonId, usize>,
    endpoints: Vec<Endpoint>,
    rosters: Rosters,
}

/// Where one message goes. Serialized for the API as `{"phone": ...}`, `{"email": ...}` or
/// `{"endpoint": {"name", "url", "secret"}}` with references only.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Address {
    /// A phone number (SMS or call-back).
    Phone(String),
    /// An e-mail address.
    Email(String),
    /// A robot or webhook: its name, URL and secret references (never their values).
    Endpoint {
        /// Name shown to people.
        name: String,
        /// URL reference.
        url: Reference,
        /// Secret reference.
        secret: Option<Reference>,
    },
}

impl Address {
    /// What can be shown to people: the number, the address or the endpoint's name.
    pub fn shown(&self) -> &str {
        match self {
            Address::Phone(text) | Address::Email(text) => text,
            Address::Endpoint { name, .. } => name,
        }
    }
}

/// One recipient of one message over one medium.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Addressee {
    /// The department it is sent for.
    pub department: DepartmentId,
    /// The person, or `None` for a department's robot or webhook.
    pub person: Option<PersonId>,
    /// Name shown to people (the person's, or the endpoint's).
    pub name: String,
    /// How.
    pub medium: Medium,
    /// Where.
    pub address: Address,
    /// 0 for a person's first choice, 1 for the next ... (the escalation order on undelivered
    /// messages); endpoints count after the people.
    pub preference: usize,
}

impl Directory {
    /// A directory of checked people, endpoints and rosters.
    pub(super) fn new(
        people: Vec<Person>,
        endpoints: Vec<Endpoint>,
        rosters: Rosters,
    ) -> Directory {
        let index = people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        Directory {
            people,
            index,
            endpoints,
            rosters,
        }
    }

    /// Every person, in file order.
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// Every robot and webhook.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The rosters.
    pub fn rosters(&self) -> &Rosters {
        &self.rosters
    }

    /// The person `id`.
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.index.get(&PersonId::new(id)).map(|i| &self.people[*i])
    }

    /// The people of `department` holding `role` at `at`: the roster's answer when the
    /// department has a roster for the role, else everyone of the department with that role.
    pub fn on_duty(&self, department: &DepartmentId, role: &str, at: Timestamp) -> Vec<&Person> {
        if self.rosters.find(department.as_str(), role).is_some() {
            return roster::on_duty(&self.rosters, department.as_str(), role, at.millis())
                .iter()
                .filter_map(|id| self.person(id.as_str()))
                .collect();
        }
        self.people
            .iter()
            .filter(|p| &p.department == department && p.roles.iter().any(|r| r == role))
            .collect()
    }

    /// The duty role a recipient word asks for: the duty leader for `department_duty_leader`,
    /// the duty officer for every other word.
    pub fn role_of(recipient: &Recipient) -> &'static str {
        match recipient {
            Recipient::DepartmentDutyLeader => "duty_leader",
            _ => "duty_officer",
        }
    }

    /// Who `recipient` reaches in `departments` (as `routing::resolve` named them) at `at`:
    /// each department's people on duty for the word's role (a duty leader falls back to the duty
    /// officer when nobody leads), every channel of each in their order, then the department's
    /// robots and webhooks. A department with nobody on duty and no endpoint yields nothing:
    /// the caller records it as undeliverable.
    pub fn addressees(
        &self,
        recipient: &Recipient,
        departments: &[DepartmentId],
        at: Timestamp,
    ) -> Vec<Addressee> {
        self.addressees_for(recipient, departments, at, false)
    }

    /// Who a drill (演练) for `recipient` reaches in `departments`: only the entries marked
    /// `drill: true` (every such person of the department, whatever the roster says, each by
    /// their channels, then the department's drill robots and webhooks); nobody when the
    /// department has none. Real warnings never reach those entries ([`Directory::addressees`]).
    pub fn drill_addressees(
        &self,
        recipient: &Recipient,
        departments: &[DepartmentId],
        at: Timestamp,
    ) -> Vec<Addressee> {
        self.addressees_for(recipient, departments, at, true)
    }

    /// Whether the directory lists anyone (a person, a robot or a webhook) of the department.
    pub fn lists_department(&self, department: &DepartmentId) -> bool {
        self.people.iter().any(|p| &p.department == department)
            || self.endpoints.iter().any(|e| &e.department == department)
    }

    /// Whether any entry is marked for drills (the deployment uses drill recipients).
    pub fn uses_drills(&self) -> bool {
        self.people.iter().any(|p| p.drill) || self.endpoints.iter().any(|e| e.drill)
    }

    /// Whether the department has an entry for drills.
    pub fn has_drill_recipient(&self, department: &DepartmentId) -> bool {
        self.people
            .iter()
            .any(|p| p.drill && &p.department == department)
            || self
                .endpoints
                .iter()
                .any(|e| e.drill && &e.department == department)
    }

    /// [`Directory::addressees`] (`drill` false) or [`Directory::drill_addressees`].
    fn addressees_for(
        &self,
        recipient: &Recipient,
        departments: &[DepartmentId],
        at: Timestamp,
        drill: bool,
    ) -> Vec<Addressee> {
        let role = Directory::role_of(recipient);
        let mut out: Vec<Addressee> = Vec::new();
        for department in departments {
            let people: Vec<&Person> = if drill {
                self.people
                    .iter()
                    .filter(|p| p.drill && &p.department == department)
                    .collect()
            } else {
                let mut people = self.on_duty(department, role, at);
                if people.is_empty() && role != "duty_officer" {
                    people = self.on_duty(department, "duty_officer", at);
                }
                people.retain(|p| !p.drill);
                people
            };
            for person in people {
                for (preference, medium) in person.channels.iter().enumerate() {
                    let address = match medium {
                        Medium::Sms | Medium::Phone => person.phone.clone().map(Address::Phone),
                        Medium::Email => person.email.clone().map(Address::Email),
                        _ => self.endpoint(department, *medium, drill),
                    };
                    if let Some(address) = address {
                        push_new(
                            &mut out,
                            Addressee {
                                department: department.clone(),
                                person: Some(person.id.clone()),
                                name: person.name.clone(),
                                medium: *medium,
                                address,
                                preference,
                            },
                        );
                    }
                }
            }
            let after_people = out.iter().map(|a| a.preference + 1).max().unwrap_or(0);
            for endpoint in self
                .endpoints
                .iter()
                .filter(|e| &e.department == department && e.drill == drill)
            {
                push_new(
                    &mut out,
                    Addressee {
                        department: department.clone(),
                        person: None,
                        name: endpoint.name.clone(),
                        medium: endpoint.medium,
                        address: endpoint_address(endpoint),
                        preference: after_people,
                    },
                );
            }
        }
        out
    }

    /// Who `recipient` reaches for `warning` at `at`: the departments routing names, then
    /// [`Directory::addressees`].
    pub fn resolve(
        &self,
        generation: &Generation,
        workflow: &Workflow,
        warning: &WarningFacts,
        recipient: &Recipient,
        issued: &[DepartmentId],
        at: Timestamp,
    ) -> Vec<Addressee> {
        let departments = routing::resolve(generation, workflow, warning, recipient, issued);
        self.addressees(recipient, &departments, at)
    }

    fn endpoint(&self, department: &DepartmentId, medium: Medium, drill: bool) -> Option<Address> {
        self.endpoints
            .iter()
            .find(|e| &e.department == department && e.medium == medium && e.drill == drill)
            .map(endpoint_address)
    }
}

fn endpoint_address(endpoint: &Endpoint) -> Address {
    Address::Endpoint {
        name: endpoint.name.clone(),
        url: endpoint.url.clone(),
        secret: endpoint.secret.clone(),
    }
}

/// Appends `addressee` unless the same address over the same medium is already there (one
/// robot named for a person and for the department is posted to once).
fn push_new(out: &mut Vec<Addressee>, addressee: Addressee) {
    if !out
        .iter()
        .any(|a| a.medium == addressee.medium && a.address == addressee.address)
    {
        out.push(addressee);
    }
}

//! One CAP 1.2 `<alert>` as XML: the header (identifier, sender, sent, status, msgType, scope,
//! references), an `<info>` in zh-CN (and one in en-US), and the area (circle around the asset,
//! or the district's boundary polygon, with the GB/T 2260 geocode). Element order follows the
//! OASIS schema (`../shared/standards/cap/CAP-v1.2.xsd`).

use time::{OffsetDateTime, UtcOffset};

use crate::model::{Case, Generation, Timestamp, Workflow};
use crate::storage::WarningDetail;

use super::CapOptions;
use super::history::{Message, MsgType};
use super::mapping;
use super::text::{Names, description, headline, instruction, sender_name};
use super::xml::XmlWriter;

/// The CAP 1.2 namespace.
pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// What a message is about.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject<'a> {
    /// The generation in force (names, locations, boundaries).
    pub generation: &'a Generation,
    /// The warning with its level history.
    pub warning: &'a WarningDetail,
    /// Its case.
    pub case: &'a Case,
    /// Its workflow.
    pub workflow: &'a Workflow,
}

/// `sent` as CAP wants it: seconds, an explicit offset, and `-00:00` for UTC (CAP 1.2 §3.3.2).
pub fn cap_time(at: Timestamp, offset: UtcOffset) -> String {
    let seconds = at.millis().div_euclid(1000);
    let Ok(utc) = OffsetDateTime::from_unix_timestamp(seconds) else {
        return "1970-01-01T00:00:00-00:00".to_owned();
    };
    let local = utc.to_offset(offset);
    let (hours, minutes, _) = offset.as_hms();
    let zone = if offset.is_utc() {
        "-00:00".to_owned()
    } else {
        let sign = if offset.is_negative() { '-' } else { '+' };
        format!(
            "{sign}{:02}:{:02}",
            hours.unsigned_abs(),
            minutes.unsigned_abs()
        )
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    )
}

/// The identifier of message `n` of a warning.
pub fn identifier(warning: i64, n: u32) -> String {
    format!("tocsin-{warning}-{n}")
}

/// The alert for `messages[index]` (its `references` are the messages before it).
pub(crate) fn render(
    subject: &Subject<'_>,
    messages: &[Message],
    index: usize,
    options: &CapOptions,
) -> String {
    let message = &messages[index.min(messages.len().saturating_sub(1))];
    let record = &subject.warning.warning;
    let names = Names::of(subject);
    let mut xml = XmlWriter::new();
    xml.open("alert", &[("xmlns", CAP_NAMESPACE)]);
    xml.leaf("identifier", &identifier(record.id, message.n));
    xml.leaf("sender", &options.sender);
    xml.leaf("sent", &cap_time(message.sent, options.offset));
    xml.leaf("status", if record.drill { "Exercise" } else { "Actual" });
    xml.leaf("msgType", message.msg_type.as_str());
    xml.leaf("source", &format!("Tocsin {}", record.generation));
    xml.leaf("scope", "Restricted");
    xml.leaf("restriction", &restriction(subject));
    let addresses = addresses(subject.case);
    if !addresses.is_empty() {
        xml.leaf("addresses", &addresses);
    }
    if record.drill {
        xml.leaf(
            "note",
            "【演练】本消息为演练，不是真实预警。Exercise: this is a drill, not a real warning.",
        );
    }
    let earlier: Vec<String> = messages
        .iter()
        .take_while(|earlier| earlier.n < message.n)
        .map(|earlier| {
            format!(
                "{},{},{}",
                options.sender,
                identifier(record.id, earlier.n),
                cap_time(earlier.sent, options.offset)
            )
        })
        .collect();
    if !earlier.is_empty() {
        xml.leaf("references", &earlier.join(" "));
    }
    xml.leaf("incidents", &format!("tocsin-{}", record.id));
    info(&mut xml, subject, &names, message, options, true);
    if options.english {
        info(&mut xml, subject, &names, message, options, false);
    }
    xml.finish()
}

/// The `<restriction>` text: who may see it.
fn restriction(subject: &Subject<'_>) -> String {
    let names: Vec<String> = subject
        .case
        .issued_to
        .iter()
        .map(|id| {
            subject
                .generation
                .department(id.as_str())
                .map_or_else(|| id.to_string(), |d| d.name.clone())
        })
        .collect();
    let to = if names.is_empty() {
        String::new()
    } else {
        format!("（{}）", names.join("、"))
    };
    format!(
        "限预警接收单位{to}及值班人员使用，不向公众发布。Restricted to the departments the warning \
         was issued to and the duty desk; not for public release."
    )
}

/// `<addresses>`: the departments issued to, space-separated (quoted if one has a space).
fn addresses(case: &Case) -> String {
    case.issued_to
        .iter()
        .map(|id| {
            if id.as_str().contains(' ') {
                format!("\"{id}\"")
            } else {
                id.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One `<info>` block in Chinese (`chinese`) or English.
fn info(
    xml: &mut XmlWriter,
    subject: &Subject<'_>,
    names: &Names,
    message: &Message,
    options: &CapOptions,
    chinese: bool,
) {
    let record = &subject.warning.warning;
    let level = message.level;
    let cancel = message.msg_type == MsgType::Cancel;
    xml.open("info", &[]);
    xml.leaf("language", if chinese { "zh-CN" } else { "en-US" });
    for category in mapping::categories(record.domain.as_str()) {
        xml.leaf("category", category);
    }
    let event = if chinese {
        format!("{} {} 预警", names.domain_cn, names.hazard)
    } else {
        format!("{} {} warning", names.domain_en, names.hazard)
    };
    xml.leaf("event", &event);
    xml.leaf(
        "responseType",
        if cancel {
            "AllClear"
        } else {
            mapping::response(level)
        },
    );
    let (urgency, severity, certainty) = mapping::grade(level);
    xml.leaf("urgency", if cancel { "Past" } else { urgency });
    xml.leaf("severity", severity);
    xml.leaf("certainty", certainty);
    xml.open("eventCode", &[]);
    xml.leaf("valueName", "tocsin:hazard");
    xml.leaf("value", &names.hazard);
    xml.close();
    xml.leaf("senderName", &sender_name(subject, level, options));
    xml.leaf("headline", &headline(names, record.drill, message, chinese));
    xml.leaf(
        "description",
        &description(subject, message, options, chinese),
    );
    xml.leaf(
        "instruction",
        &instruction(subject, message, options, chinese),
    );
    if let Some(base) = &options.web_base {
        xml.leaf(
            "web",
            &format!(
                "{}/api/v1/warnings/{}",
                base.trim_end_matches('/'),
                record.id
            ),
        );
    }
    if let Some(office) = subject
        .generation
        .department(subject.workflow.city_duty_office.as_str())
    {
        xml.leaf("contact", &office.name);
    }
    let level_text = if chinese {
        mapping::level_cn(level)
    } else {
        mapping::level_en(level)
    };
    let parameters: [(&str, String); 6] = [
        (
            if chinese { "预警级别" } else { "level" },
            level_text.to_owned(),
        ),
        ("tocsin:level", level.as_str().to_owned()),
        ("tocsin:warning", record.id.to_string()),
        ("tocsin:asset", record.asset.to_string()),
        ("tocsin:domain", record.domain.to_string()),
        ("tocsin:district", record.district.to_string()),
    ];
    for (name, value) in parameters {
        xml.open("parameter", &[]);
        xml.leaf("valueName", name);
        xml.leaf("value", &value);
        xml.close();
    }
    area(xml, subject, names);
    xml.close();
}

/// `<area>`: a circle around the asset (or its sensor), else the district's boundary polygon;
/// always the district's GB/T 2260 geocode.
fn area(xml: &mut XmlWriter, subject: &Subject<'_>, names: &Names) {
    let generation = subject.generation;
    let record = &subject.warning.warning;
    let asset = generation.asset(record.asset.as_str());
    let location = asset.and_then(|asset| asset.location).or_else(|| {
        generation
            .sensor(record.sensor.as_str())
            .map(|sensor| sensor.location)
    });
    let kind = asset.map_or("", |asset| asset.kind.as_str());
    xml.open("area", &[]);
    xml.leaf(
        "areaDesc",
        &format!("{}（{}）", names.asset, names.district),
    );
    if let Some(point) = location {
        let radius = mapping::radius_km(record.domain.as_str(), kind);
        xml.leaf(
            "circle",
            &format!("{:.6},{:.6} {radius}", point.lat, point.lon),
        );
    } else if let Some(ring) = generation
        .district(record.district.as_str())
        .and_then(|district| district.boundary.as_ref())
        .filter(|ring| ring.len() >= 3)
    {
        let mut points: Vec<String> = ring
            .iter()
            .map(|p| format!("{:.6},{:.6}", p.lat, p.lon))
            .collect();
        if ring.first() != ring.last() {
            points.push(points[0].clone());
        }
        xml.leaf("polygon", &points.join(" "));
    }
    xml.open("geocode", &[]);
    xml.leaf("valueName", "GB/T 2260");
    xml.leaf("value", record.district.as_str());
    xml.close();
    xml.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_time_has_seconds_and_an_explicit_offset() {
        // 2026-11-30T01:02:03.456Z
        let at = Timestamp(1_796_000_523_456);
        let east = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
        let text = cap_time(at, east);
        assert!(text.ends_with("+08:00"), "{text}");
        assert!(!text.contains('.'), "{text}");
        assert_eq!(cap_time(at, UtcOffset::UTC).len(), 25);
        assert!(cap_time(at, UtcOffset::UTC).ends_with("-00:00"));
        let west = UtcOffset::from_hms(-5, -30, 0).unwrap_or(UtcOffset::UTC);
        assert!(cap_time(at, west).ends_with("-05:30"));
    }
}

//! `tocsin validate`: compiles the shipped packs with a deployment directory and prints either
//! every problem (`file:line:column: error[CODE]: message`, exit 1) or a one-line summary (exit 0).
//! Warnings (`file:line:column: warning[CODE]: message`) are printed before the summary of a
//! valid set and do not change the exit status; with errors, only the errors are printed (a
//! warning is often a knock-on of an error: a misspelt metric is also one no rule reads).

use std::path::Path;
use std::process::ExitCode;

use crate::compile;
use crate::settings;

pub(crate) fn run(config: &Path) -> anyhow::Result<ExitCode> {
    let (report, ok) = report(config);
    print!("{report}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The text `validate` prints for `config`, and whether the set is valid.
fn report(config: &Path) -> (String, bool) {
    let (generation, warnings) = compile::load_checked(Some(config), None);
    let mut out = String::new();
    let loaded = config.is_dir().then(|| settings::load(config));
    let mut diagnostics = match &generation {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.clone(),
    };
    match (&loaded, &generation) {
        (Some(Err(found)), _) => diagnostics.extend(found.iter().cloned()),
        // recipients of scheduled reports need the city and the contacts
        (Some(Ok(loaded)), Ok(generation)) => {
            diagnostics.extend(settings::check_reports(loaded, generation));
        }
        _ => {}
    }
    match generation {
        Ok(generation) if diagnostics.is_empty() => {
            let s = generation.summary();
            let line = format!(
                "ok: generation {}: {} domains, {} metrics, {} rules, {} districts, \
                 {} departments, {} assets, {} sensors\n",
                generation.id,
                s.domains,
                s.metrics,
                s.rules,
                s.districts,
                s.departments,
                s.assets,
                s.sensors
            );
            for warning in &warnings {
                out.push_str(&warning.to_string());
                out.push('\n');
            }
            let n = warnings.len();
            if n > 0 {
                out.push_str(&format!("{n} warning{}\n", if n == 1 { "" } else { "s" }));
            }
            out.push_str(&line);
            (out, true)
        }
        _ => {
            crate::config::Diagnostic::sort(&mut diagnostics);
            for diagnostic in &diagnostics {
                out.push_str(&diagnostic.to_string());
                out.push('\n');
            }
            let n = diagnostics.len();
            out.push_str(&format!("{n} error{}\n", if n == 1 { "" } else { "s" }));
            (out, false)
        }
    }
}

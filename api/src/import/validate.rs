//! Row-level checks of a list file, run before anything is written. Each error names the
//! field at fault by its path in the file, e.g. `duties[3].workItems[1].text`.

use std::collections::HashSet;

use super::{ImportError, format::*};
use crate::domain::editing::mainland_phone;
use crate::domain::kinds::DivisionRole;

pub fn validate(file: &ListFile) -> Result<(), ImportError> {
    if file.format != FORMAT {
        return Err(ImportError::new(
            "UNSUPPORTED_FORMAT",
            "format",
            format!("expected {FORMAT:?}, found {:?}", file.format),
        ));
    }
    text("title", &file.title)?;
    text("owner", &file.owner)?;

    let mut names = HashSet::new();
    for (i, dept) in file.departments.iter().enumerate() {
        text(&format!("departments[{i}].name"), &dept.name)?;
        for (j, alias) in dept.aliases.iter().enumerate() {
            text(&format!("departments[{i}].aliases[{j}]"), alias)?;
        }
        for name in std::iter::once(&dept.name).chain(&dept.aliases) {
            if !names.insert(name.as_str()) {
                return Err(ImportError::new(
                    "DUPLICATE_NAME",
                    format!("departments[{i}]"),
                    format!("{name:?} names two departments"),
                ));
            }
        }
    }

    // Duties are numbered per department, as the editing rules number them.
    let mut departments: Vec<&str> = file.duties.iter().map(|d| d.department.as_str()).collect();
    departments.dedup();
    for department in departments {
        let seqs = file
            .duties
            .iter()
            .enumerate()
            .filter(|(_, d)| d.department == department);
        for (n, (i, duty)) in seqs.enumerate() {
            let expected = n as i32 + 1;
            if duty.seq != expected {
                return Err(ImportError::new(
                    "SEQ_NOT_DENSE",
                    format!("duties[{i}].seq"),
                    format!(
                        "expected {expected} (the duties of {department} are numbered 1, 2, 3…), found {}",
                        duty.seq
                    ),
                ));
            }
        }
    }
    for (i, duty) in file.duties.iter().enumerate() {
        let at = format!("duties[{i}]");
        text(&format!("{at}.text"), &duty.text)?;
        dense(
            &format!("{at}.workItems"),
            duty.work_items.iter().map(|w| w.seq),
        )?;
        for (j, item) in duty.work_items.iter().enumerate() {
            text(&format!("{at}.workItems[{j}].text"), &item.text)?;
        }
    }

    dense(
        "boundaryMatters",
        file.boundary_matters.iter().map(|m| m.seq),
    )?;
    for (i, matter) in file.boundary_matters.iter().enumerate() {
        let at = format!("boundaryMatters[{i}]");
        text(&format!("{at}.title"), &matter.title)?;
        dense(
            &format!("{at}.divisions"),
            matter.divisions.iter().map(|d| d.seq),
        )?;
        let leads = matter
            .divisions
            .iter()
            .filter(|d| d.role == DivisionRole::Lead)
            .count();
        if leads != 1 && !matter.disputed {
            return Err(ImportError::new(
                "LEAD_COUNT",
                format!("{at}.divisions"),
                format!(
                    "a matter has exactly one LEAD division unless marked disputed; found {leads}"
                ),
            ));
        }
        let mut seen = HashSet::new();
        for (j, division) in matter.divisions.iter().enumerate() {
            let at = format!("{at}.divisions[{j}]");
            text(&format!("{at}.text"), &division.text)?;
            text(
                &format!("{at}.publishedDepartment"),
                &division.published_department,
            )?;
            if !seen.insert(division.department.as_str()) {
                return Err(ImportError::new(
                    "DUPLICATE_DIVISION",
                    format!("{at}.department"),
                    format!("{:?} has two divisions in one matter", division.department),
                ));
            }
            dense(
                &format!("{at}.legalBases"),
                division.legal_bases.iter().map(|b| b.seq),
            )?;
            for (k, basis) in division.legal_bases.iter().enumerate() {
                text(&format!("{at}.legalBases[{k}].title"), &basis.title)?;
                text(&format!("{at}.legalBases[{k}].text"), &basis.text)?;
            }
            dense(&format!("{at}.cases"), division.cases.iter().map(|c| c.seq))?;
            for (k, case) in division.cases.iter().enumerate() {
                text(&format!("{at}.cases[{k}].text"), &case.text)?;
            }
        }
    }

    dense(
        "supervisionRegimes",
        file.supervision_regimes.iter().map(|r| r.seq),
    )?;
    let mut codes = HashSet::new();
    for (i, regime) in file.supervision_regimes.iter().enumerate() {
        let at = format!("supervisionRegimes[{i}]");
        let code_ok = !regime.code.is_empty()
            && regime
                .code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_');
        if !code_ok || !codes.insert(regime.code.as_str()) {
            return Err(ImportError::new(
                "INVALID_CODE",
                format!("{at}.code"),
                format!("{:?} is not a unique UPPER_SNAKE_CASE code", regime.code),
            ));
        }
        text(&format!("{at}.title"), &regime.title)?;
        let rules = &regime.rules;
        for (field, days) in [
            ("minInspectors", rules.min_inspectors),
            ("reviewRequestDays", rules.review_request_days),
            ("reviewDecisionDays", rules.review_decision_days),
        ] {
            if days.is_some_and(|n| n < 1) {
                return Err(ImportError::new(
                    "INVALID_RULE",
                    format!("{at}.rules.{field}"),
                    "must be a positive number",
                ));
            }
        }
        dense(
            &format!("{at}.sections"),
            regime.sections.iter().map(|s| s.seq),
        )?;
        for (j, section) in regime.sections.iter().enumerate() {
            let at = format!("{at}.sections[{j}]");
            text(&format!("{at}.title"), &section.title)?;
            items(&format!("{at}.items"), &section.items)?;
        }
    }

    dense("publicServices", file.public_services.iter().map(|s| s.seq))?;
    for (i, service) in file.public_services.iter().enumerate() {
        let at = format!("publicServices[{i}]");
        text(&format!("{at}.name"), &service.name)?;
        text(&format!("{at}.content"), &service.content)?;
        phone(&at, service)?;
    }
    Ok(())
}

/// A phone by the rule the API applies to one typed in (`editing::mainland_phone`): the
/// published phone is a mainland mobile or fixed line with its area code, and `phone` its
/// digits.
fn phone(at: &str, service: &ServiceRow) -> Result<(), ImportError> {
    let typed = &service.published_phone;
    let Some(digits) = mainland_phone(typed) else {
        // A spreadsheet that took 07377821688 for a number shows 7377821688.
        let hint = if typed.len() >= 9 && typed.starts_with(|c: char| ('2'..='9').contains(&c)) {
            "; if a spreadsheet dropped the area code's leading 0, format the column as text and type it again"
        } else {
            ""
        };
        return Err(ImportError::new(
            "PHONE_INVALID",
            format!("{at}.publishedPhone"),
            format!(
                "「{typed}」 is not a mainland phone number (mobile or area code + number){hint}"
            ),
        ));
    };
    if service.phone != digits {
        return Err(ImportError::new(
            "PHONE_INVALID",
            format!("{at}.phone"),
            format!(
                "{:?} is not the digits of the published phone 「{typed}」 ({digits})",
                service.phone
            ),
        ));
    }
    Ok(())
}

fn items(at: &str, rows: &[ItemRow]) -> Result<(), ImportError> {
    dense(at, rows.iter().map(|i| i.seq))?;
    for (k, item) in rows.iter().enumerate() {
        text(&format!("{at}[{k}].text"), &item.text)?;
        items(&format!("{at}[{k}].items"), &item.items)?;
    }
    Ok(())
}

/// Texts are data and kept exactly, but an empty one is a mistake in the file.
fn text(at: &str, value: &str) -> Result<(), ImportError> {
    if value.trim().is_empty() {
        return Err(ImportError::new("EMPTY_TEXT", at, "must not be empty"));
    }
    Ok(())
}

/// Sequence numbers run 1, 2, 3… in file order.
fn dense(at: &str, seqs: impl Iterator<Item = i32>) -> Result<(), ImportError> {
    for (i, seq) in seqs.enumerate() {
        let expected = i as i32 + 1;
        if seq != expected {
            return Err(ImportError::new(
                "SEQ_NOT_DENSE",
                format!("{at}[{i}].seq"),
                format!("expected {expected}, found {seq}"),
            ));
        }
    }
    Ok(())
}

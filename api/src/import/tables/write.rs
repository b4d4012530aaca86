//! A list → its tables, cell by cell. Texts are copied exactly (never trimmed or
//! normalised); an empty cell is an absent value, so what a table cannot tell apart from
//! something else (an empty optional text, a line break inside an entry of a cell that lists
//! entries one a line) is refused rather than changed. Closed vocabularies are written in
//! Chinese (牵头, 自然日, 内设机构).

use super::layout::*;
use super::{
    Column, DEPARTMENTS, DUTIES, LIST, MATTERS, REGIME_ITEMS, REGIMES, SERVICES, Sheet, TableError,
    Tables,
};
use crate::import::format::*;
use crate::import::validate;

/// The list as tables. The list is validated first (as `load` would), so what comes out reads
/// back to the same list.
pub fn to_tables(file: &ListFile) -> Result<Tables, TableError> {
    validate::validate(file).map_err(|err| {
        TableError::new(
            err.code,
            sheet_of_path(&err.at),
            None,
            None,
            format!("{} ({})", err.message, err.at),
        )
    })?;

    let mut list = Out::new(LIST, LIST_HEADERS);
    list.push(vec![
        file.title.clone(),
        file.owner.clone(),
        file.format.clone(),
    ]);

    let mut departments = Out::new(DEPARTMENTS, DEPARTMENT_HEADERS);
    for dept in &file.departments {
        let row = vec![
            dept.name.clone(),
            DEPARTMENT_KINDS.word(dept.kind).to_owned(),
            departments.opt("上级部门", &dept.parent)?,
            departments.entries("别名", dept.aliases.iter())?,
        ];
        departments.push(row);
    }

    let mut duties = Out::new(DUTIES, DUTY_HEADERS);
    for duty in &file.duties {
        let own = [
            duty.seq.to_string(),
            duty.text.clone(),
            duties.opt("职责备注", &duty.remark)?,
            duty.department.clone(),
        ];
        if duty.work_items.is_empty() {
            let [seq, text, remark, dept] = own.clone();
            duties.push(vec![seq, text, String::new(), String::new(), remark, dept]);
        }
        for (k, item) in duty.work_items.iter().enumerate() {
            let [seq, text, remark, dept] = if k == 0 {
                own.clone()
            } else {
                Default::default()
            };
            let item_remark = duties.opt("备注", &item.remark)?;
            duties.push(vec![
                seq,
                text,
                item.text.clone(),
                item_remark,
                remark,
                dept,
            ]);
        }
    }

    let mut matters = Out::new(MATTERS, MATTER_HEADERS);
    for matter in &file.boundary_matters {
        let disputed = if matter.disputed { YES } else { NO };
        let own = [
            matter.published_seq.clone(),
            matter.title.clone(),
            disputed.to_owned(),
        ];
        if matter.divisions.is_empty() {
            let [seq, title, disputed] = own.clone();
            let mut row = vec![String::new(); MATTER_HEADERS.len()];
            (row[0], row[1], row[9]) = (seq, title, disputed);
            matters.push(row);
        }
        for (j, division) in matter.divisions.iter().enumerate() {
            let [seq, title, disputed] = if j == 0 {
                own.clone()
            } else {
                Default::default()
            };
            let role = ROLES.word(division.role);
            let row = vec![
                seq,
                title,
                division.published_department.clone(),
                division.text.clone(),
                matters.entries("相关依据", division.legal_bases.iter().map(|b| &b.text))?,
                matters.entries("案例", division.cases.iter().map(|c| &c.text))?,
                role.to_owned(),
                division.department.clone(),
                matters.entries("依据名称", division.legal_bases.iter().map(|b| &b.title))?,
                disputed,
            ];
            matters.push(row);
        }
    }

    let mut regimes = Out::new(REGIMES, REGIME_HEADERS);
    let mut items = Out::new(REGIME_ITEMS, ITEM_HEADERS);
    for regime in &file.supervision_regimes {
        let rules = &regime.rules;
        let number = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_default();
        let row = vec![
            regime.seq.to_string(),
            regime.code.clone(),
            regime.label.clone(),
            regime.title.clone(),
            regimes.opt("前言", &regime.preamble)?,
            number(rules.min_inspectors),
            regimes.opt("检查人数条款", &rules.min_inspectors_clause)?,
            number(rules.review_request_days),
            number(rules.review_decision_days),
            regimes.opt("复查条款", &rules.review_clause)?,
            DAY_COUNTS.word(rules.day_count).to_owned(),
            regimes.opt("过错情形路径", &rules.fault_situations_path)?,
            regimes.opt("追究方式路径", &rules.accountability_forms_path)?,
        ];
        regimes.push(row);
        for section in &regime.sections {
            let row = vec![
                regime.code.clone(),
                section.seq.to_string(),
                section.label.clone(),
                SECTION_KINDS.word(section.kind).to_owned(),
                section.title.clone(),
                items.opt("引言", &section.intro)?,
                String::new(),
            ];
            items.push(row);
            item_rows(
                &mut items,
                &regime.code,
                &section.seq.to_string(),
                &section.items,
            )?;
        }
    }

    let mut services = Out::new(SERVICES, SERVICE_HEADERS);
    for service in &file.public_services {
        services.push(vec![
            service.seq.to_string(),
            service.name.clone(),
            service.content.clone(),
            service.unit.clone(),
            service.published_phone.clone(),
            service.phone.clone(),
        ]);
    }

    Ok(Tables {
        sheets: [list, departments, duties, matters, regimes, items, services]
            .into_iter()
            .map(Out::into_sheet)
            .collect(),
    })
}

/// Regime items depth first, each under its parent, the path naming section and items.
fn item_rows(out: &mut Out, code: &str, parent: &str, rows: &[ItemRow]) -> Result<(), TableError> {
    for item in rows {
        let path = format!("{parent}.{}", item.seq);
        let row = vec![
            code.to_owned(),
            path.clone(),
            out.opt("编号", &item.label)?,
            String::new(),
            String::new(),
            String::new(),
            item.text.clone(),
        ];
        out.push(row);
        item_rows(out, code, &path, &item.items)?;
    }
    Ok(())
}

/// The sheet a field path of the list file belongs to.
fn sheet_of_path(path: &str) -> &'static str {
    let head = path.split(['.', '[']).next().unwrap_or_default();
    match head {
        "departments" => DEPARTMENTS,
        "duties" => DUTIES,
        "boundaryMatters" => MATTERS,
        "supervisionRegimes" => REGIMES,
        "publicServices" => SERVICES,
        _ => LIST,
    }
}

/// A sheet being written.
struct Out {
    name: &'static str,
    headers: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

impl Out {
    fn new(name: &'static str, headers: &'static [&'static str]) -> Self {
        Self {
            name,
            headers,
            rows: vec![headers.iter().map(|h| (*h).to_owned()).collect()],
        }
    }

    fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    /// Refuses `header` for the row about to be written.
    fn refuse(&self, header: &str, message: String) -> TableError {
        let index = self.headers.iter().position(|h| *h == header).unwrap_or(0);
        TableError::new(
            "UNREPRESENTABLE",
            self.name,
            Some(self.rows.len() + 1),
            Some(Column::new(header, index)),
            message,
        )
    }

    /// An optional text: absent is an empty cell, so an empty text would come back absent.
    fn opt(&self, header: &str, value: &Option<String>) -> Result<String, TableError> {
        match value {
            Some(text) if text.is_empty() => Err(self.refuse(
                header,
                "an empty text cannot be told from an absent one in a table; make it null".into(),
            )),
            value => Ok(value.clone().unwrap_or_default()),
        }
    }

    /// Entries one a line, so none may hold a line break.
    fn entries<'a>(
        &self,
        header: &str,
        values: impl Iterator<Item = &'a String>,
    ) -> Result<String, TableError> {
        let values: Vec<&str> = values.map(String::as_str).collect();
        if let Some(bad) = values.iter().find(|v| v.contains(ENTRY_SEPARATOR)) {
            return Err(self.refuse(
                header,
                format!("{bad:?} holds a line break, which separates entries in this cell"),
            ));
        }
        Ok(values.join("\n"))
    }

    fn into_sheet(self) -> Sheet {
        Sheet {
            name: self.name.to_owned(),
            rows: self.rows,
        }
    }
}

//! `ListFile` ⇄ `Tables`, cell by cell. Texts are copied exactly (never trimmed or
//! normalised); an empty cell is an absent value. What a table cannot tell apart from
//! something else (an empty optional text, a line break inside an entry of a cell that lists
//! entries one a line) is refused on the way out rather than changed.

use std::collections::{HashMap, HashSet};

use super::{
    Column, DEPARTMENTS, DUTIES, LIST, MATTERS, Origins, REGIME_ITEMS, REGIMES, SERVICES, Sheet,
    TableError, Tables,
};
use crate::domain::kinds::{DayCount, DepartmentKind, DivisionRole, SectionKind};
use crate::import::format::*;
use crate::import::validate;

pub(crate) const LIST_HEADERS: &[&str] = &["标题", "所属部门", "格式"];
pub(crate) const DEPARTMENT_HEADERS: &[&str] = &["名称", "类别", "上级部门", "别名"];
pub(crate) const DUTY_HEADERS: &[&str] = &[
    "序号",
    "主要职责",
    "具体工作事项",
    "备注",
    "职责备注",
    "部门",
];
pub(crate) const MATTER_HEADERS: &[&str] = &[
    "序号",
    "管理事项",
    "相关部门",
    "职责分工",
    "相关依据",
    "案例",
    "牵头/配合",
    "部门",
    "依据名称",
    "有争议",
];
pub(crate) const REGIME_HEADERS: &[&str] = &[
    "序号",
    "代码",
    "编号",
    "标题",
    "前言",
    "最少检查人数",
    "检查人数条款",
    "申请复查天数",
    "复查决定天数",
    "复查条款",
    "计日方式",
    "过错情形路径",
    "追究方式路径",
];
pub(crate) const ITEM_HEADERS: &[&str] =
    &["制度代码", "路径", "编号", "类别", "标题", "引言", "条文"];
pub(crate) const SERVICE_HEADERS: &[&str] = &[
    "序号",
    "服务事项",
    "主要内容",
    "承办机构",
    "联系电话",
    "电话号码",
];

/// Every sheet with its columns, in the order they are written.
pub const LAYOUT: &[(&str, &[&str])] = &[
    (LIST, LIST_HEADERS),
    (DEPARTMENTS, DEPARTMENT_HEADERS),
    (DUTIES, DUTY_HEADERS),
    (MATTERS, MATTER_HEADERS),
    (REGIMES, REGIME_HEADERS),
    (REGIME_ITEMS, ITEM_HEADERS),
    (SERVICES, SERVICE_HEADERS),
];

/// Columns of whole numbers: a workbook stores them as numbers, so they sort and look as a
/// spreadsheet user expects. Any other cell is stored as text, even when it looks like a number
/// (a phone's leading 0, a published 序号 such as "02").
pub(crate) const NUMBER_COLUMNS: &[(&str, &str)] = &[
    (DUTIES, "序号"),
    (MATTERS, "序号"),
    (REGIMES, "序号"),
    (REGIMES, "最少检查人数"),
    (REGIMES, "申请复查天数"),
    (REGIMES, "复查决定天数"),
    (SERVICES, "序号"),
];

/// Entries of a cell that lists several (aliases, legal bases, cases) go one a line.
const ENTRY_SEPARATOR: char = '\n';
const LEAD: &str = "牵头";
const ASSIST: &str = "配合";
const YES: &str = "是";
const NO: &str = "否";

// ---------------------------------------------------------------------------------------------
// ListFile → Tables
// ---------------------------------------------------------------------------------------------

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
            dept.kind.as_str().to_owned(),
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
            let role = match division.role {
                DivisionRole::Lead => LEAD,
                DivisionRole::Assist => ASSIST,
            };
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
            rules.day_count.as_str().to_owned(),
            regimes.opt("过错情形路径", &rules.fault_situations_path)?,
            regimes.opt("追究方式路径", &rules.accountability_forms_path)?,
        ];
        regimes.push(row);
        for section in &regime.sections {
            let row = vec![
                regime.code.clone(),
                section.seq.to_string(),
                section.label.clone(),
                section.kind.as_str().to_owned(),
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

// ---------------------------------------------------------------------------------------------
// Tables → ListFile
// ---------------------------------------------------------------------------------------------

/// Reads a list from tables. Checks what only the tables can tell (sheets, headers, numbers,
/// row structure, department names against the 部门 sheet); `load` validates the rest.
pub fn from_tables(tables: &Tables) -> Result<ListFile, TableError> {
    read(tables).map(|(file, _)| file)
}

pub(crate) fn read(tables: &Tables) -> Result<(ListFile, Origins), TableError> {
    for sheet in &tables.sheets {
        let known = LAYOUT.iter().any(|(name, _)| *name == sheet.name);
        let blank = sheet.rows.iter().flatten().all(String::is_empty);
        if !known && !blank {
            return Err(TableError::new(
                "UNKNOWN_SHEET",
                &sheet.name,
                None,
                None,
                format!(
                    "no sheet of this name belongs to a list; the sheets are {}",
                    LAYOUT
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let mut origins = Origins::default();

    // 清单
    let sheet = In::open(tables, LIST, LIST_HEADERS)?;
    let rows: Vec<Row> = sheet.rows().collect();
    let [row] = rows.as_slice() else {
        return Err(TableError::new(
            "ROW_COUNT",
            LIST,
            rows.get(1).map(|r| r.number),
            None,
            format!(
                "expected exactly one row under the header, found {}",
                rows.len()
            ),
        ));
    };
    row.mark(&mut origins, "title", "标题");
    row.mark(&mut origins, "owner", "所属部门");
    row.mark(&mut origins, "format", "格式");
    let (title, owner_row, format) = (row.text("标题"), row, row.text("格式"));

    // 部门
    let sheet = In::open(tables, DEPARTMENTS, DEPARTMENT_HEADERS)?;
    origins.insert("departments".into(), DEPARTMENTS, None, None);
    let mut departments = Vec::new();
    let mut parents = Vec::new();
    for row in sheet.rows() {
        let i = departments.len();
        let name = row.text("名称");
        row.mark(&mut origins, &format!("departments[{i}]"), "名称");
        row.mark(&mut origins, &format!("departments[{i}].name"), "名称");
        row.mark(&mut origins, &format!("departments[{name}]"), "名称");
        row.mark(
            &mut origins,
            &format!("departments[{name}].aliases"),
            "别名",
        );
        row.mark(
            &mut origins,
            &format!("departments[{name}].parent"),
            "上级部门",
        );
        let aliases = row.entries("别名");
        for j in 0..aliases.len() {
            row.mark(
                &mut origins,
                &format!("departments[{i}].aliases[{j}]"),
                "别名",
            );
        }
        parents.push(row.clone());
        departments.push(DepartmentRow {
            kind: row.vocabulary("类别", DepartmentKind::parse, DepartmentKind::ALL, |k| {
                k.as_str()
            })?,
            parent: row.opt("上级部门"),
            aliases,
            name,
        });
    }
    let known: HashSet<&str> = departments
        .iter()
        .flat_map(|d| std::iter::once(&d.name).chain(&d.aliases))
        .map(String::as_str)
        .collect();
    let owner = owner_row.department("所属部门", &known)?;
    for row in &parents {
        if !row.cell("上级部门").is_empty() {
            row.department("上级部门", &known)?;
        }
    }

    // 主要职责
    let sheet = In::open(tables, DUTIES, DUTY_HEADERS)?;
    origins.insert("duties".into(), DUTIES, None, None);
    let mut duties: Vec<DutyRow> = Vec::new();
    for row in sheet.rows() {
        let starts = !row.cell("序号").is_empty();
        if starts {
            let i = duties.len();
            let at = format!("duties[{i}]");
            row.mark(&mut origins, &at, "序号");
            row.mark(&mut origins, &format!("{at}.seq"), "序号");
            row.mark(&mut origins, &format!("{at}.text"), "主要职责");
            row.mark(&mut origins, &format!("{at}.remark"), "职责备注");
            row.mark(&mut origins, &format!("{at}.department"), "部门");
            duties.push(DutyRow {
                seq: row.int("序号")?,
                department: row.department("部门", &known)?,
                text: row.text("主要职责"),
                remark: row.opt("职责备注"),
                work_items: Vec::new(),
            });
            // A duty's first row holds no work item when both its cells are empty.
            if row.cell("具体工作事项").is_empty() && row.cell("备注").is_empty() {
                continue;
            }
        } else {
            row.empty_here(
                &["主要职责", "职责备注", "部门"],
                "belongs on a duty's first row, the one with its 序号",
            )?;
        }
        let Some(i) = duties.len().checked_sub(1) else {
            return Err(row.error(
                "ORPHAN_ROW",
                "具体工作事项",
                "a work item before any duty: the first row needs a 序号",
            ));
        };
        let duty = &mut duties[i];
        let j = duty.work_items.len();
        let at = format!("duties[{i}].workItems[{j}]");
        row.mark(&mut origins, &at, "具体工作事项");
        row.mark(&mut origins, &format!("{at}.text"), "具体工作事项");
        row.mark(&mut origins, &format!("{at}.remark"), "备注");
        duty.work_items.push(WorkItemRow {
            seq: j as i32 + 1,
            text: row.text("具体工作事项"),
            remark: row.opt("备注"),
        });
    }

    // 职责边界
    let sheet = In::open(tables, MATTERS, MATTER_HEADERS)?;
    origins.insert("boundaryMatters".into(), MATTERS, None, None);
    let mut matters: Vec<MatterRow> = Vec::new();
    const DIVISION_CELLS: &[&str] = &[
        "相关部门",
        "职责分工",
        "相关依据",
        "案例",
        "牵头/配合",
        "部门",
        "依据名称",
    ];
    for row in sheet.rows() {
        let starts = !row.cell("管理事项").is_empty();
        if starts {
            let i = matters.len();
            let at = format!("boundaryMatters[{i}]");
            row.mark(&mut origins, &at, "管理事项");
            row.mark(&mut origins, &format!("{at}.title"), "管理事项");
            row.mark(&mut origins, &format!("{at}.publishedSeq"), "序号");
            row.mark(&mut origins, &format!("{at}.disputed"), "有争议");
            row.mark(&mut origins, &format!("{at}.divisions"), "牵头/配合");
            let disputed = match row.cell("有争议") {
                "" | NO => false,
                YES => true,
                other => {
                    return Err(row.error(
                        "INVALID_VALUE",
                        "有争议",
                        format!("{other:?} is neither {YES} nor {NO}"),
                    ));
                }
            };
            matters.push(MatterRow {
                seq: i as i32 + 1,
                published_seq: row.text("序号"),
                title: row.text("管理事项"),
                disputed,
                divisions: Vec::new(),
            });
            // A matter with no division (only a disputed one may) is a row of matter cells only.
            if DIVISION_CELLS.iter().all(|h| row.cell(h).is_empty()) {
                continue;
            }
        } else {
            row.empty_here(
                &["序号", "有争议"],
                "belongs on a matter's first row, the one with its 管理事项",
            )?;
        }
        let Some(i) = matters.len().checked_sub(1) else {
            return Err(row.error(
                "ORPHAN_ROW",
                "相关部门",
                "a division before any matter: the first row needs a 管理事项",
            ));
        };
        let j = matters[i].divisions.len();
        let at = format!("boundaryMatters[{i}].divisions[{j}]");
        row.mark(&mut origins, &at, "相关部门");
        for (field, header) in [
            ("text", "职责分工"),
            ("publishedDepartment", "相关部门"),
            ("department", "部门"),
            ("role", "牵头/配合"),
            ("legalBases", "相关依据"),
            ("cases", "案例"),
        ] {
            row.mark(&mut origins, &format!("{at}.{field}"), header);
        }
        let role = match row.cell("牵头/配合") {
            LEAD => DivisionRole::Lead,
            ASSIST => DivisionRole::Assist,
            "" => return Err(row.error("EMPTY_CELL", "牵头/配合", format!("{LEAD} or {ASSIST}"))),
            other => {
                return Err(row.error(
                    "INVALID_VALUE",
                    "牵头/配合",
                    format!("{other:?} is neither {LEAD} nor {ASSIST}"),
                ));
            }
        };
        let texts = row.entries("相关依据");
        let titles = row.entries("依据名称");
        if texts.len() != titles.len() {
            return Err(row.error(
                "MISMATCHED_CELLS",
                "依据名称",
                format!(
                    "{} names for {} legal bases: one name a line for each line of 相关依据",
                    titles.len(),
                    texts.len()
                ),
            ));
        }
        for k in 0..texts.len() {
            row.mark(
                &mut origins,
                &format!("{at}.legalBases[{k}].title"),
                "依据名称",
            );
            row.mark(
                &mut origins,
                &format!("{at}.legalBases[{k}].text"),
                "相关依据",
            );
        }
        let cases = row.entries("案例");
        for k in 0..cases.len() {
            row.mark(&mut origins, &format!("{at}.cases[{k}].text"), "案例");
        }
        matters[i].divisions.push(DivisionRow {
            seq: j as i32 + 1,
            department: row.department("部门", &known)?,
            published_department: row.text("相关部门"),
            role,
            text: row.text("职责分工"),
            legal_bases: titles
                .into_iter()
                .zip(texts)
                .enumerate()
                .map(|(k, (title, text))| LegalBasisRow {
                    seq: k as i32 + 1,
                    title,
                    text,
                })
                .collect(),
            cases: cases
                .into_iter()
                .enumerate()
                .map(|(k, text)| CaseRow {
                    seq: k as i32 + 1,
                    text,
                })
                .collect(),
        });
    }

    // 监管制度
    let sheet = In::open(tables, REGIMES, REGIME_HEADERS)?;
    origins.insert("supervisionRegimes".into(), REGIMES, None, None);
    let mut regimes: Vec<RegimeRow> = Vec::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    for row in sheet.rows() {
        let i = regimes.len();
        let at = format!("supervisionRegimes[{i}]");
        row.mark(&mut origins, &at, "代码");
        for (field, header) in [
            ("seq", "序号"),
            ("code", "代码"),
            ("title", "标题"),
            ("rules.minInspectors", "最少检查人数"),
            ("rules.reviewRequestDays", "申请复查天数"),
            ("rules.reviewDecisionDays", "复查决定天数"),
        ] {
            row.mark(&mut origins, &format!("{at}.{field}"), header);
        }
        let code = row.text("代码");
        by_code.entry(code.clone()).or_insert(i);
        regimes.push(RegimeRow {
            seq: row.int("序号")?,
            label: row.text("编号"),
            title: row.text("标题"),
            preamble: row.opt("前言"),
            rules: RegimeRules {
                min_inspectors: row.opt_int("最少检查人数")?,
                min_inspectors_clause: row.opt("检查人数条款"),
                review_request_days: row.opt_int("申请复查天数")?,
                review_decision_days: row.opt_int("复查决定天数")?,
                review_clause: row.opt("复查条款"),
                day_count: row.vocabulary("计日方式", DayCount::parse, DayCount::ALL, |d| {
                    d.as_str()
                })?,
                fault_situations_path: row.opt("过错情形路径"),
                accountability_forms_path: row.opt("追究方式路径"),
            },
            sections: Vec::new(),
            code,
        });
    }

    // 监管条目
    let sheet = In::open(tables, REGIME_ITEMS, ITEM_HEADERS)?;
    for row in sheet.rows() {
        let code = row.cell("制度代码");
        let Some(&r) = by_code.get(code) else {
            let code_error = if code.is_empty() {
                row.error(
                    "EMPTY_CELL",
                    "制度代码",
                    "the 代码 of a regime on the 监管制度 sheet",
                )
            } else {
                row.error(
                    "UNKNOWN_REGIME",
                    "制度代码",
                    format!("no regime with code {code:?} on the 监管制度 sheet"),
                )
            };
            return Err(code_error);
        };
        let path = row.path("路径")?;
        let regime = &mut regimes[r];
        let mut at = format!("supervisionRegimes[{r}].sections");
        if let [seq] = path.as_slice() {
            row.empty_here(&["条文"], "a section row (路径 of one number) has no 条文")?;
            let j = regime.sections.len();
            at = format!("{at}[{j}]");
            row.mark(&mut origins, &at, "路径");
            row.mark(&mut origins, &format!("{at}.seq"), "路径");
            row.mark(&mut origins, &format!("{at}.title"), "标题");
            regime.sections.push(SectionRow {
                seq: *seq,
                label: row.text("编号"),
                kind: row.vocabulary("类别", SectionKind::parse, SectionKind::ALL, |k| {
                    k.as_str()
                })?,
                title: row.text("标题"),
                intro: row.opt("引言"),
                items: Vec::new(),
            });
            continue;
        }
        row.empty_here(
            &["类别", "标题", "引言"],
            "an item row (路径 of two numbers or more) has only 编号 and 条文",
        )?;
        let orphan = || {
            row.error(
                "ORPHAN_ROW",
                "路径",
                "its parent (the path without its last number) is not the row above it at that level",
            )
        };
        let j = match regime.sections.len().checked_sub(1) {
            Some(j) if regime.sections[j].seq == path[0] => j,
            _ => return Err(orphan()),
        };
        at = format!("{at}[{j}].items");
        let mut items = &mut regime.sections[j].items;
        for &seq in &path[1..path.len() - 1] {
            let k = match items.len().checked_sub(1) {
                Some(k) if items[k].seq == seq => k,
                _ => return Err(orphan()),
            };
            at = format!("{at}[{k}].items");
            let parent = items;
            items = &mut parent[k].items;
        }
        at = format!("{at}[{}]", items.len());
        row.mark(&mut origins, &at, "路径");
        row.mark(&mut origins, &format!("{at}.seq"), "路径");
        row.mark(&mut origins, &format!("{at}.text"), "条文");
        items.push(ItemRow {
            seq: path[path.len() - 1],
            label: row.opt("编号"),
            text: row.text("条文"),
            items: Vec::new(),
        });
    }

    // 公共服务
    let sheet = In::open(tables, SERVICES, SERVICE_HEADERS)?;
    origins.insert("publicServices".into(), SERVICES, None, None);
    let mut services = Vec::new();
    for row in sheet.rows() {
        let at = format!("publicServices[{}]", services.len());
        row.mark(&mut origins, &at, "服务事项");
        for (field, header) in [
            ("seq", "序号"),
            ("name", "服务事项"),
            ("content", "主要内容"),
            ("unit", "承办机构"),
            ("phone", "电话号码"),
            ("publishedPhone", "联系电话"),
        ] {
            row.mark(&mut origins, &format!("{at}.{field}"), header);
        }
        services.push(ServiceRow {
            seq: row.int("序号")?,
            name: row.text("服务事项"),
            content: row.text("主要内容"),
            unit: row.department("承办机构", &known)?,
            phone: row.text("电话号码"),
            published_phone: row.text("联系电话"),
        });
    }

    let file = ListFile {
        format,
        title,
        owner,
        departments,
        duties,
        boundary_matters: matters,
        supervision_regimes: regimes,
        public_services: services,
    };
    Ok((file, origins))
}

/// A sheet being read, its columns found by header.
struct In<'a> {
    sheet: &'a Sheet,
    name: &'static str,
    columns: HashMap<&'static str, usize>,
}

impl<'a> In<'a> {
    /// Finds the sheet and its columns: every expected header once, in any order, and no other
    /// column holding anything (it would be lost).
    fn open(
        tables: &'a Tables,
        name: &'static str,
        headers: &'static [&'static str],
    ) -> Result<Self, TableError> {
        let sheet = tables.sheet(name).ok_or_else(|| {
            TableError::new(
                "MISSING_SHEET",
                name,
                None,
                None,
                format!("the list has no {name} sheet"),
            )
        })?;
        let header_row = sheet.rows.first().map(Vec::as_slice).unwrap_or_default();
        let mut columns = HashMap::new();
        for (index, cell) in header_row.iter().enumerate() {
            let column = Column::new(cell, index);
            match headers.iter().find(|h| **h == cell.as_str()) {
                Some(header) => {
                    if columns.insert(*header, index).is_some() {
                        return Err(TableError::new(
                            "DUPLICATE_HEADER",
                            name,
                            Some(1),
                            Some(column),
                            "this header appears twice",
                        ));
                    }
                }
                None => {
                    let used = sheet
                        .rows
                        .iter()
                        .any(|row| row.get(index).is_some_and(|c| !c.is_empty()));
                    if used {
                        return Err(TableError::new(
                            "UNKNOWN_HEADER",
                            name,
                            Some(1),
                            Some(column),
                            format!(
                                "not a column of this sheet; the columns are {}",
                                headers.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        if let Some(missing) = headers.iter().find(|h| !columns.contains_key(*h)) {
            return Err(TableError::new(
                "MISSING_HEADER",
                name,
                Some(1),
                Some(Column {
                    header: (*missing).to_owned(),
                    letter: String::new(),
                }),
                format!("no column headed {missing} in the header row"),
            ));
        }
        Ok(Self {
            sheet,
            name,
            columns,
        })
    }

    /// The data rows, numbered as a spreadsheet shows them; rows with no cell filled are skipped.
    fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.sheet
            .rows
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
            .map(|(i, cells)| Row {
                sheet: self,
                number: i + 1,
                cells,
            })
    }
}

#[derive(Clone)]
struct Row<'a> {
    sheet: &'a In<'a>,
    number: usize,
    cells: &'a [String],
}

impl Row<'_> {
    fn column(&self, header: &str) -> Column {
        Column::new(header, self.sheet.columns[header])
    }

    fn cell(&self, header: &str) -> &str {
        let index = self.sheet.columns[header];
        self.cells.get(index).map_or("", String::as_str)
    }

    fn error(&self, code: &'static str, header: &str, message: impl Into<String>) -> TableError {
        TableError::new(
            code,
            self.sheet.name,
            Some(self.number),
            Some(self.column(header)),
            message,
        )
    }

    /// Records that the list field at `path` came from this row's `header` cell.
    fn mark(&self, origins: &mut Origins, path: &str, header: &str) {
        origins.insert(
            path.to_owned(),
            self.sheet.name,
            Some(self.number),
            Some(self.column(header)),
        );
    }

    fn text(&self, header: &str) -> String {
        self.cell(header).to_owned()
    }

    fn opt(&self, header: &str) -> Option<String> {
        Some(self.cell(header))
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
    }

    /// The entries of a cell that lists one a line; an empty cell lists none.
    fn entries(&self, header: &str) -> Vec<String> {
        let cell = self.cell(header);
        if cell.is_empty() {
            return Vec::new();
        }
        cell.split(ENTRY_SEPARATOR).map(str::to_owned).collect()
    }

    fn int(&self, header: &str) -> Result<i32, TableError> {
        self.opt_int(header)?
            .ok_or_else(|| self.error("EMPTY_CELL", header, "a whole number is required"))
    }

    /// Numbers are not texts: spaces around them are layout and ignored.
    fn opt_int(&self, header: &str) -> Result<Option<i32>, TableError> {
        let cell = self.cell(header).trim();
        if cell.is_empty() {
            return Ok(None);
        }
        cell.parse().map(Some).map_err(|_| {
            self.error(
                "NOT_A_NUMBER",
                header,
                format!("{cell:?} is not a whole number"),
            )
        })
    }

    /// A `.`-separated path of whole numbers, e.g. `5.1.2`.
    fn path(&self, header: &str) -> Result<Vec<i32>, TableError> {
        let cell = self.cell(header);
        if cell.is_empty() {
            return Err(self.error("EMPTY_CELL", header, "a path such as 2 or 2.1.3"));
        }
        cell.split('.')
            .map(|part| part.parse::<i32>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                self.error(
                    "NOT_A_NUMBER",
                    header,
                    format!("{cell:?} is not a path of whole numbers such as 2.1.3"),
                )
            })
    }

    fn vocabulary<T: Copy>(
        &self,
        header: &str,
        parse: fn(&str) -> Option<T>,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Result<T, TableError> {
        let cell = self.cell(header);
        let expected = all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ");
        if cell.is_empty() {
            return Err(self.error("EMPTY_CELL", header, format!("one of {expected}")));
        }
        parse(cell).ok_or_else(|| {
            self.error(
                "INVALID_VALUE",
                header,
                format!("{cell:?} is not one of {expected}"),
            )
        })
    }

    /// A department named on the 部门 sheet (by name or alias).
    fn department(&self, header: &str, known: &HashSet<&str>) -> Result<String, TableError> {
        let cell = self.cell(header);
        if cell.is_empty() {
            return Err(self.error("EMPTY_CELL", header, "a department's name is required"));
        }
        if !known.contains(cell) {
            return Err(self.error(
                "UNKNOWN_DEPARTMENT",
                header,
                format!("no department named {cell:?} on the {DEPARTMENTS} sheet"),
            ));
        }
        Ok(cell.to_owned())
    }

    /// Cells that must stay empty on this kind of row: filled, they would be lost.
    fn empty_here(&self, headers: &[&str], why: &str) -> Result<(), TableError> {
        match headers.iter().find(|h| !self.cell(h).is_empty()) {
            Some(header) => Err(self.error("UNEXPECTED_CELL", header, why)),
            None => Ok(()),
        }
    }
}

//! Tables → a list. Checks what only the tables can tell (sheets, headers, numbers, row
//! structure, department names against the 部门 sheet) and records where each field came
//! from (`Origins`), so the validator's and the loader's errors point at a cell; `load`
//! validates the rest. Cells are read by `cells`.

use std::collections::{HashMap, HashSet};

use super::cells::{In, Row};
use super::layout::*;
use super::{
    DEPARTMENTS, DUTIES, LIST, MATTERS, Origins, REGIME_ITEMS, REGIMES, SERVICES, TableError,
    Tables,
};
use crate::domain::editing::mainland_phone;
use crate::import::format::*;

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
        row.mark(&mut origins, &format!("departments[{i}].kind"), "类别");
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
            kind: row.word("类别", &DEPARTMENT_KINDS)?,
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
    // A division's own cells: 相关部门 to 依据名称.
    let division_cells = &MATTER_HEADERS[2..9];
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
            if division_cells.iter().all(|h| row.cell(h).is_empty()) {
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
        let role = row.word("牵头/配合", &ROLES)?;
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
                day_count: row.word("计日方式", &DAY_COUNTS)?,
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
                kind: row.word("类别", &SECTION_KINDS)?,
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
        // 电话号码 may be left empty: it is then the digits of 联系电话, by the rule the API
        // applies to a phone typed in (the validator refuses a phone that follows no rule).
        let published_phone = row.text("联系电话");
        let phone = match row.text("电话号码") {
            digits if digits.is_empty() => mainland_phone(&published_phone).unwrap_or_default(),
            digits => digits,
        };
        services.push(ServiceRow {
            seq: row.int("序号")?,
            name: row.text("服务事项"),
            content: row.text("主要内容"),
            unit: row.department("承办机构", &known)?,
            phone,
            published_phone,
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

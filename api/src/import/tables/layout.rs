//! The layout of a list's tables: each sheet's columns, how wide a spreadsheet shows them,
//! which hold numbers or phones, and the Chinese words a closed vocabulary is written in.
//! Writing (`write`), reading (`read`) and the file formats (`xlsx`, `csv`) all take it
//! from here, so a column is described once.

use super::{DEPARTMENTS, DUTIES, LIST, MATTERS, REGIME_ITEMS, REGIMES, SERVICES};
use crate::domain::kinds::{DayCount, DepartmentKind, DivisionRole, SectionKind};

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
/// (a published 序号 such as "02").
pub(crate) const NUMBER_COLUMNS: &[(&str, &str)] = &[
    (DUTIES, "序号"),
    (MATTERS, "序号"),
    (REGIMES, "序号"),
    (REGIMES, "最少检查人数"),
    (REGIMES, "申请复查天数"),
    (REGIMES, "复查决定天数"),
    (SERVICES, "序号"),
];

/// Columns of phone numbers: text everywhere, because a spreadsheet that takes
/// `07377821688` for a number drops the area code's 0. A workbook formats the whole column as
/// text (so a number typed in later stays text too); CSV writes each as `="07377821688"`.
pub(crate) const PHONE_COLUMNS: &[(&str, &str)] = &[(SERVICES, "联系电话"), (SERVICES, "电话号码")];

pub(crate) fn is_number_column(sheet: &str, header: &str) -> bool {
    NUMBER_COLUMNS.contains(&(sheet, header))
}

pub(crate) fn is_phone_column(sheet: &str, header: &str) -> bool {
    PHONE_COLUMNS.contains(&(sheet, header))
}

/// Entries of a cell that lists several (aliases, legal bases, cases) go one a line.
pub(crate) const ENTRY_SEPARATOR: char = '\n';

/// How wide a spreadsheet shows a column, in characters of its default font (a Chinese
/// character is about two), and whether its texts wrap. Long texts wrap in a wide column;
/// names and codes fit on one line.
pub(crate) fn width(sheet: &str, header: &str) -> (f64, bool) {
    if is_number_column(sheet, header) || header == "路径" {
        return (8.0, false);
    }
    match header {
        "主要职责" | "具体工作事项" | "职责分工" | "相关依据" | "条文" | "主要内容" | "前言"
        | "引言" | "检查人数条款" | "复查条款" | "案例" => (60.0, true),
        "备注" | "职责备注" | "依据名称" | "管理事项" | "标题" | "服务事项" | "别名" => {
            (30.0, true)
        }
        "联系电话" | "电话号码" => (16.0, false),
        "牵头/配合" | "有争议" | "计日方式" | "类别" | "编号" => (12.0, false),
        "代码" | "制度代码" | "格式" | "过错情形路径" | "追究方式路径" => {
            (20.0, false)
        }
        _ => (24.0, true),
    }
}

/// A closed vocabulary as the tables write it: each code with its Chinese word. A cell is
/// written in Chinese and read in Chinese or as the code (files written before the Chinese
/// words, or typed by someone who knows the codes).
pub(crate) struct Words<T: 'static> {
    pub pairs: &'static [(T, &'static str)],
    pub code: fn(T) -> &'static str,
}

impl<T: Copy + PartialEq> Words<T> {
    pub fn word(&self, value: T) -> &'static str {
        self.pairs
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, word)| *word)
            .unwrap_or_else(|| (self.code)(value))
    }

    pub fn parse(&self, cell: &str) -> Option<T> {
        self.pairs
            .iter()
            .find(|(v, word)| *word == cell || (self.code)(*v) == cell)
            .map(|(v, _)| *v)
    }

    /// The Chinese words, in order: a drop-down list's choices.
    pub fn all(&self) -> Vec<&'static str> {
        self.pairs.iter().map(|(_, word)| *word).collect()
    }
}

pub(crate) const DEPARTMENT_KINDS: Words<DepartmentKind> = Words {
    pairs: &[
        (DepartmentKind::Department, "部门"),
        (DepartmentKind::InternalUnit, "内设机构"),
        (DepartmentKind::PartyOrgan, "党的机关"),
        (DepartmentKind::Township, "乡镇"),
        (DepartmentKind::UpperLevel, "上级机关"),
    ],
    code: DepartmentKind::as_str,
};

pub(crate) const ROLES: Words<DivisionRole> = Words {
    pairs: &[(DivisionRole::Lead, "牵头"), (DivisionRole::Assist, "配合")],
    code: DivisionRole::as_str,
};

pub(crate) const SECTION_KINDS: Words<SectionKind> = Words {
    pairs: &[
        (SectionKind::Object, "对象"),
        (SectionKind::Content, "内容"),
        (SectionKind::Method, "方式"),
        (SectionKind::Procedure, "程序"),
        (SectionKind::MethodAndProcedure, "方式及程序"),
        (SectionKind::Measure, "措施"),
        (SectionKind::Handling, "处理"),
        (SectionKind::Standard, "标准"),
    ],
    code: SectionKind::as_str,
};

pub(crate) const DAY_COUNTS: Words<DayCount> = Words {
    pairs: &[(DayCount::Natural, "自然日"), (DayCount::Working, "工作日")],
    code: DayCount::as_str,
};

pub(crate) const YES: &str = "是";
pub(crate) const NO: &str = "否";

/// The choices of a column that takes a closed set, for a workbook's drop-down list.
pub(crate) fn choices(sheet: &str, header: &str) -> Option<Vec<&'static str>> {
    Some(match (sheet, header) {
        (DEPARTMENTS, "类别") => DEPARTMENT_KINDS.all(),
        (MATTERS, "牵头/配合") => ROLES.all(),
        (MATTERS, "有争议") => vec![YES, NO],
        (REGIMES, "计日方式") => DAY_COUNTS.all(),
        (REGIME_ITEMS, "类别") => SECTION_KINDS.all(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words__every_code_has_a_chinese_word_read_back_as_either() {
        for kind in DepartmentKind::ALL {
            let word = DEPARTMENT_KINDS.word(*kind);
            assert_ne!(word, kind.as_str());
            assert_eq!(DEPARTMENT_KINDS.parse(word), Some(*kind));
            assert_eq!(DEPARTMENT_KINDS.parse(kind.as_str()), Some(*kind));
        }
        for kind in SectionKind::ALL {
            assert_ne!(SECTION_KINDS.word(*kind), kind.as_str());
        }
        for count in DayCount::ALL {
            assert_eq!(DAY_COUNTS.parse(DAY_COUNTS.word(*count)), Some(*count));
        }
        assert_eq!(ROLES.parse("LEAD"), Some(DivisionRole::Lead));
        assert_eq!(ROLES.parse("牵头 "), None);
    }

    #[test]
    fn width__every_column_has_one_and_long_texts_wrap() {
        for (sheet, headers) in LAYOUT {
            for header in *headers {
                let (width, _) = width(sheet, header);
                assert!(width >= 8.0, "{sheet} {header}");
            }
        }
        assert_eq!(width(DUTIES, "具体工作事项"), (60.0, true));
        assert_eq!(width(SERVICES, "联系电话"), (16.0, false));
    }
}

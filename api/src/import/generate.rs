//! Deterministic synthetic lists for benchmarks at county and province scale. Lists are
//! written through the same path as real ones (`load`); inspections, which have no file
//! format, are written in bulk beside them.

use chrono::{Days, NaiveDate, Utc};
use entity::{department, finding, inspection, inspector};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::format::*;
use super::{LoadError, load};
use crate::domain::kinds::{DepartmentKind, DivisionRole};
use crate::domain::supervision::RegimeContext;

/// How much data to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// The Anhua list alone.
    Anhua,
    /// One county: 40 departments with their lists, 2,000 inspections.
    County,
    /// 100 counties.
    Province,
}

impl Scale {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "anhua" => Some(Self::Anhua),
            "county" => Some(Self::County),
            "province" => Some(Self::Province),
            _ => None,
        }
    }

    fn counties(self) -> u32 {
        match self {
            Self::Anhua => 0,
            Self::County => 1,
            Self::Province => 100,
        }
    }
}

pub const DEPARTMENTS_PER_COUNTY: usize = 40;
const DUTIES_PER_DEPARTMENT: usize = 10;
const ITEMS_PER_DUTY: usize = 5;
const DIVISIONS_PER_MATTER: usize = 5;
pub const INSPECTIONS_PER_COUNTY: usize = 2_000;

const OFFICES: [&str; 40] = [
    "公安局",
    "教育局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化旅游广电体育局",
    "卫生健康局",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "林业局",
    "医疗保障局",
    "城市管理局",
    "行政审批服务局",
    "信访局",
    "扶贫开发办公室",
    "发展和改革局",
    "工业和信息化局",
    "科学技术局",
    "民族宗教事务局",
    "档案局",
    "粮食局",
    "供销合作社",
    "气象局",
    "消防救援大队",
    "税务局",
    "自来水公司",
    "供电公司",
    "邮政局",
    "烟草专卖局",
];
const SUBJECTS: [&str; 16] = [
    "户籍",
    "治安",
    "学籍",
    "低保",
    "法律援助",
    "预算",
    "土地",
    "排污",
    "房屋租赁",
    "道路",
    "河道",
    "耕地",
    "市场",
    "文物",
    "食品安全",
    "社会保险",
];
const ACTIONS: [&str; 8] = [
    "登记",
    "审批",
    "监督检查",
    "统计",
    "宣传",
    "投诉处理",
    "应急处置",
    "信息公开",
];

/// A small linear congruential generator: the same seed gives the same county everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

fn county_name(county: u32) -> String {
    format!("模拟{county:03}县")
}

fn department_name(county: u32, office: usize) -> String {
    format!("{}{}", county_name(county), OFFICES[office])
}

/// The list of department `office` of county `county`.
pub fn department_list(county: u32, office: usize) -> ListFile {
    let mut rng = Rng(u64::from(county) * 1_000 + office as u64 + 1);
    let owner = department_name(county, office);
    let departments = (0..DEPARTMENTS_PER_COUNTY)
        .map(|i| DepartmentRow {
            name: department_name(county, i),
            kind: DepartmentKind::Department,
            parent: None,
            aliases: vec![format!(
                "{}{}",
                county_name(county).trim_start_matches("模拟"),
                OFFICES[i]
            )],
        })
        .collect();
    let duties = (1..=DUTIES_PER_DEPARTMENT as i32)
        .map(|seq| {
            let subject = rng.pick(&SUBJECTS);
            DutyRow {
                seq,
                department: owner.clone(),
                text: format!(
                    "负责全县{subject}{}工作，组织实施有关法律、法规和政策。",
                    rng.pick(&ACTIONS)
                ),
                remark: None,
                work_items: (1..=ITEMS_PER_DUTY as i32)
                    .map(|seq| WorkItemRow {
                        seq,
                        text: format!(
                            "负责{}{}的{}和{}",
                            subject,
                            rng.pick(&SUBJECTS),
                            rng.pick(&ACTIONS),
                            rng.pick(&ACTIONS)
                        ),
                        remark: None,
                    })
                    .collect(),
            }
        })
        .collect();
    // 50 matters a county: two for the first ten departments, one for the others.
    let matters = if office < 10 { 2 } else { 1 };
    let boundary_matters = (1..=matters)
        .map(|seq| {
            let subject = rng.pick(&SUBJECTS);
            MatterRow {
                seq,
                published_seq: seq.to_string(),
                title: format!("{subject}{}管理", rng.pick(&ACTIONS)),
                disputed: false,
                divisions: (0..DIVISIONS_PER_MATTER)
                    .map(|j| {
                        let other = (office + j * 7) % DEPARTMENTS_PER_COUNTY;
                        let name = department_name(county, other);
                        DivisionRow {
                            seq: j as i32 + 1,
                            published_department: name.clone(),
                            department: name,
                            role: if j == 0 {
                                DivisionRole::Lead
                            } else {
                                DivisionRole::Assist
                            },
                            text: format!(
                                "负责{subject}的{}，配合做好{}工作",
                                rng.pick(&ACTIONS),
                                rng.pick(&ACTIONS)
                            ),
                            legal_bases: vec![],
                            cases: vec![],
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    // 300 services a county: eight for the first twenty departments, seven for the others.
    let services = if office < 20 { 8 } else { 7 };
    let public_services = (1..=services)
        .map(|seq| {
            let phone = format!(
                "0737{:07}",
                (county as usize * 1_000 + office * 10 + seq as usize) % 10_000_000
            );
            ServiceRow {
                seq,
                name: format!("{}{}服务", rng.pick(&SUBJECTS), rng.pick(&ACTIONS)),
                content: format!(
                    "提供{}{}咨询和办理服务",
                    rng.pick(&SUBJECTS),
                    rng.pick(&ACTIONS)
                ),
                unit: owner.clone(),
                published_phone: phone.clone(),
                phone,
            }
        })
        .collect();
    ListFile {
        format: FORMAT.to_owned(),
        title: format!("{owner}责任清单"),
        owner,
        departments,
        duties,
        boundary_matters,
        supervision_regimes: vec![],
        public_services,
    }
}

/// Loads `scale` into a database that holds the Anhua list (its regimes are the checklists
/// the generated inspections point at). Returns the number of lists loaded.
pub async fn generate(db: &DatabaseConnection, scale: Scale) -> Result<usize, LoadError> {
    let regime = RegimeContext::by_code(db, "TERRITORIAL_ENFORCEMENT")
        .await?
        .ok_or_else(|| {
            super::ImportError::new(
                "UNKNOWN_REGIME",
                "TERRITORIAL_ENFORCEMENT",
                "load the Anhua list first",
            )
        })?;
    let checklist = regime.checklist();
    let mut lists = 0;
    for county in 1..=scale.counties() {
        for office in 0..DEPARTMENTS_PER_COUNTY {
            load(db, &department_list(county, office)).await?;
            lists += 1;
        }
        let names: Vec<String> = (0..DEPARTMENTS_PER_COUNTY)
            .map(|i| department_name(county, i))
            .collect();
        let targets: Vec<i32> = department::Entity::find()
            .filter(department::Column::Name.is_in(names))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        inspections(db, county, regime.regime.id, &targets, &checklist).await?;
    }
    Ok(lists)
}

/// 2,000 inspections of a county's departments, each with two inspectors and three findings.
async fn inspections(
    db: &DatabaseConnection,
    county: u32,
    regime_id: i32,
    targets: &[i32],
    checklist: &[i32],
) -> Result<(), sea_orm::DbErr> {
    let mut rng = Rng(u64::from(county) + 7);
    let start = NaiveDate::from_ymd_opt(2016, 1, 1).expect("valid date");
    let txn = crate::db::Write::begin(db).await?;
    for chunk in 0..INSPECTIONS_PER_COUNTY / 200 {
        let rows: Vec<inspection::ActiveModel> = (0..200)
            .map(|i| {
                let day = start + Days::new(((chunk * 200 + i) % 365) as u64);
                inspection::ActiveModel {
                    regime_id: Set(regime_id),
                    target_department_id: Set(targets[rng.next() % targets.len()]),
                    period_start: Set(day),
                    period_end: Set(day + Days::new(3)),
                    record: Set(format!(
                        "{}第{}次监督检查书面记录",
                        county_name(county),
                        chunk * 200 + i + 1
                    )),
                    submitted_by: Set("generator".to_owned()),
                    submitted_at: Set(Utc::now()),
                    ..Default::default()
                }
            })
            .collect();
        let inserted = inspection::Entity::insert_many(rows)
            .exec_with_returning_keys(&txn)
            .await?;
        let mut people = Vec::new();
        let mut findings = Vec::new();
        for id in inserted {
            for seq in 1..=2 {
                people.push(inspector::ActiveModel {
                    inspection_id: Set(id),
                    seq: Set(seq),
                    name: Set(format!("检查员{}", rng.next() % 500)),
                    certificate_no: Set(format!("湘执{id:07}{seq}")),
                    ..Default::default()
                });
            }
            let first = rng.next() % checklist.len();
            for k in 0..3 {
                let outcome = if rng.next().is_multiple_of(5) {
                    "NONCOMPLIANT"
                } else {
                    "COMPLIANT"
                };
                findings.push(finding::ActiveModel {
                    inspection_id: Set(id),
                    item_id: Set(checklist[(first + k) % checklist.len()]),
                    outcome: Set(outcome.to_owned()),
                    note: Set(None),
                    ..Default::default()
                });
            }
        }
        inspector::Entity::insert_many(people).exec(&txn).await?;
        finding::Entity::insert_many(findings).exec(&txn).await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_list__is_deterministic_and_county_sized() {
        assert_eq!(department_list(3, 5), department_list(3, 5));
        assert_ne!(department_list(3, 5), department_list(4, 5));
        let county: Vec<ListFile> = (0..DEPARTMENTS_PER_COUNTY)
            .map(|i| department_list(1, i))
            .collect();
        let duties: usize = county.iter().map(|l| l.duties.len()).sum();
        let items: usize = county
            .iter()
            .flat_map(|l| &l.duties)
            .map(|d| d.work_items.len())
            .sum();
        let matters: usize = county.iter().map(|l| l.boundary_matters.len()).sum();
        let services: usize = county.iter().map(|l| l.public_services.len()).sum();
        assert_eq!((duties, items, matters, services), (400, 2_000, 50, 300));
        for list in &county {
            super::super::validate::validate(list).expect("valid list");
        }
    }
}

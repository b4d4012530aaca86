//! Supervision results: every rule of part 3 of the list, broken on purpose.

mod document;
mod followup;
mod inspection;
mod permissions;
mod status;

use qingdan::auth::Role;
use qingdan_tests::TestApp;
use serde_json::{Value, json};

pub const SUBMIT: &str = r#"mutation($input: SubmitInspectionInput!) {
  submitInspection(input: $input) {
    inspection { id status overdue inspectors { name } findings { outcome item { id } } methods { id } }
    userErrors { field code message }
  }
}"#;

pub const ISSUE: &str = r#"mutation($input: IssueSupervisionDocumentInput!) {
  issueSupervisionDocument(input: $input) {
    document { id kind status dueOn daysLeft overdue reviewDueOn }
    userErrors { field code message }
  }
}"#;

/// A supervisor's token and what tests need to submit under TERRITORIAL_ENFORCEMENT.
pub struct Setup {
    pub supervisor: String,
    pub target: String,
    pub unit: String,
    pub checklist: Vec<String>,
    pub methods: Vec<String>,
    /// The regime's handling items (fault situations, forms of accountability) by path.
    pub handling: std::collections::BTreeMap<String, String>,
}

pub async fn setup(app: &TestApp) -> Setup {
    app.clock.set_date("2016-07-20".parse().unwrap());
    let ids = app.regime_ids("TERRITORIAL_ENFORCEMENT").await;
    // The inspected unit: the bureau's policy and regulations section (政策法规股).
    let target = app.department_id("政策法规股").await;
    Setup {
        supervisor: app.token("法制监督员李四", &[Role::Supervisor], None),
        unit: app.token("政策法规股王五", &[Role::Unit], Some(&target)),
        target,
        checklist: ids.checklist,
        methods: ids.methods,
        handling: ids.handling,
    }
}

/// A fresh server with the Anhua list, and the supervision setup on it.
pub async fn spawn_with_setup() -> (TestApp, Setup) {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    (app, s)
}

impl Setup {
    /// A valid submission finding the first checklist item noncompliant.
    pub fn inspection(&self) -> Value {
        json!({
            "regimeCode": "TERRITORIAL_ENFORCEMENT",
            "targetDepartmentId": self.target,
            "inspectors": [
                { "name": "张三", "certificateNo": "湘执43092001" },
                { "name": "李四", "certificateNo": "湘执43092002" }
            ],
            "methodItemIds": [self.methods[0]],
            "periodStart": "2016-07-01",
            "periodEnd": "2016-07-15",
            "findings": [
                { "itemId": self.checklist[0], "outcome": "NONCOMPLIANT", "note": "执法主体资格未公示" },
                { "itemId": self.checklist[1], "outcome": "COMPLIANT" }
            ],
            "record": "2016年7月对政策法规股行政执法情况进行抽查，书面记录如下……"
        })
    }

    /// A valid notice ordering correction by 31 August, received on 20 July.
    pub fn notice(&self, inspection: &str) -> Value {
        json!({
            "inspectionId": inspection,
            "kind": "NOTICE",
            "measure": "ORDER_CORRECTION",
            "inspectedUnit": "安化县人口和计划生育局政策法规股",
            "factsAndReasons": "行政执法主体资格未依法公示",
            "decisionAndBasis": "责令限期改正，依据《湖南省行政执法条例》",
            "executionMethod": "书面报告整改情况",
            "executionDeadline": "2016-08-31",
            "issuingBody": "安化县人口和计划生育局",
            "issuedOn": "2016-07-20",
            "sealed": true,
            "receivedOn": "2016-07-20"
        })
    }

    pub async fn submit(&self, app: &TestApp, input: Value) -> Value {
        let body = app
            .post_as(&self.supervisor, SUBMIT, json!({ "input": input }))
            .await;
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"]["submitInspection"].clone()
    }

    /// Submits the valid inspection; returns its id.
    pub async fn submitted(&self, app: &TestApp) -> String {
        let inspection = self.submit(app, self.inspection()).await;
        inspection["inspection"]["id"]
            .as_str()
            .expect("stored")
            .to_owned()
    }

    /// Submits the valid inspection and issues the valid notice; returns their ids.
    pub async fn noticed(&self, app: &TestApp) -> (String, String) {
        let inspection_id = self.submitted(app).await;
        let body = app
            .post_as(
                &self.supervisor,
                ISSUE,
                json!({ "input": self.notice(&inspection_id) }),
            )
            .await;
        let document = &body["data"]["issueSupervisionDocument"];
        assert_eq!(document["userErrors"], json!([]), "{body:#}");
        (
            inspection_id,
            document["document"]["id"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn inspection_count(&self, app: &TestApp) -> u64 {
        let data = app
            .query_as(
                &self.supervisor,
                "{ inspections(first: 100) { totalCount } }",
            )
            .await;
        data["data"]["inspections"]["totalCount"].as_u64().unwrap()
    }
}

/// Asserts that another unit counts none of the inspections `query` reads, and that
/// anonymous callers are refused it.
pub async fn assert_hidden_from_other_units_and_anonymous(app: &TestApp, query: &str) {
    let other = app.unit_token("宣传站", "宣传站").await;
    let theirs = app.query_as(&other, query).await;
    assert_eq!(theirs["data"]["inspections"]["totalCount"], 0);
    assert_eq!(
        app.gql_error_code(query, json!({})).await,
        "UNAUTHENTICATED"
    );
}

/// The codes of a payload's userErrors.
pub fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

//! Events to integrations: the outbox is written with the write or not at all.

use qingdan_tests::TestApp;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::supervision::{SUBMIT, codes, setup};

/// The outbox as the database holds it: (id, kind, subject type, departments), oldest first.
async fn outbox(app: &TestApp) -> Vec<(i64, String, String, Value)> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id, kind, subject_type, CAST(departments AS TEXT) AS departments FROM event ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            let id: i32 = row.try_get("", "id").unwrap();
            let departments: String = row.try_get("", "departments").unwrap();
            (
                i64::from(id),
                row.try_get("", "kind").unwrap(),
                row.try_get("", "subject_type").unwrap(),
                serde_json::from_str(&departments).unwrap(),
            )
        })
        .collect()
}

async fn exec(app: &TestApp, sql: &str) {
    app.db.execute_unprepared(sql).await.unwrap();
}

/// Makes every insert into `table` fail inside the database, as a constraint would.
async fn refuse_inserts(app: &TestApp, table: &str) {
    match app.db.get_database_backend() {
        DbBackend::Postgres => {
            exec(app, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$").await;
            exec(app, &format!("CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()")).await;
        }
        _ => {
            exec(app, &format!("CREATE TRIGGER refuse BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END")).await;
        }
    }
}

#[tokio::test]
async fn outbox__a_write_appends_its_event_and_a_failed_one_none() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    assert_eq!(outbox(&app).await, vec![], "loading the list is no event");

    // Given a submission that commits
    let stored = s.submit(&app, s.inspection()).await;
    assert_eq!(codes(&stored), Vec::<String>::new());
    let events = outbox(&app).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let target = qingdan::graphql::decode_department_id(&s.target).unwrap();
    assert_eq!(events[0].1, "INSPECTION_SUBMITTED");
    assert_eq!(events[0].2, "Inspection");
    assert_eq!(events[0].3, json!([target]));

    // When a rule is broken (one inspector), then nothing is appended
    let mut input = s.inspection();
    input["inspectors"] = json!([{ "name": "张三", "certificateNo": "湘执43092001" }]);
    let refused = s.submit(&app, input).await;
    assert_eq!(codes(&refused), vec!["INSPECTORS_BELOW_MINIMUM"]);
    assert_eq!(outbox(&app).await.len(), 1);

    // When the database refuses a row written after the event (its delivery to an endpoint),
    // then the write fails whole: no inspection, no event
    exec(&app, "INSERT INTO webhook (url, event_types, description, secret, enabled, created_by, created_at, lease_until, next_attempt_at) VALUES ('http://127.0.0.1:9/', '[\"INSPECTION_SUBMITTED\"]', '', 'secret', TRUE, 'test', CURRENT_TIMESTAMP, 0, 0)").await;
    refuse_inserts(&app, "webhook_delivery").await;
    let before = s.inspection_count(&app).await;
    let body = app
        .post_as(&s.supervisor, SUBMIT, json!({ "input": s.inspection() }))
        .await;
    assert!(body.get("errors").is_some(), "{body:#}");
    assert_eq!(s.inspection_count(&app).await, before);
    assert_eq!(outbox(&app).await, events);
}

//! Supervision results (监督检查), their documents and follow-up, the audit log, idempotency,
//! and the working-day calendar.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut inspection = table("inspection");
        reference(
            &mut inspection,
            "inspection",
            "regime_id",
            "supervision_regime",
        );
        reference(
            &mut inspection,
            "inspection",
            "target_department_id",
            "department",
        );
        inspection
            .col(date("period_start"))
            .col(date("period_end"))
            .col(text("record"))
            .col(string("submitted_by"))
            .col(timestamp_with_time_zone("submitted_at"));

        let mut method = table("inspection_method");
        parent(
            &mut method,
            "inspection_method",
            "inspection_id",
            "inspection",
        );
        reference(&mut method, "inspection_method", "item_id", "regime_item");

        let mut inspector = table("inspector");
        parent(&mut inspector, "inspector", "inspection_id", "inspection");
        inspector
            .col(integer("seq"))
            .col(string("name"))
            .col(string("certificate_no"));

        let mut finding = table("finding");
        parent(&mut finding, "finding", "inspection_id", "inspection");
        reference(&mut finding, "finding", "item_id", "regime_item");
        finding.col(string("outcome")).col(text_null("note"));

        let mut document = table("supervision_document");
        reference(
            &mut document,
            "supervision_document",
            "inspection_id",
            "inspection",
        );
        document
            .col(string("kind"))
            .col(string("measure"))
            .col(text("inspected_unit"))
            .col(text("facts_and_reasons"))
            .col(text("decision_and_basis"))
            .col(text("execution_method"))
            .col(date_null("execution_deadline"))
            .col(text("issuing_body"))
            .col(date("issued_on"))
            .col(boolean("sealed"))
            .col(date("received_on"))
            .col(string("issued_by"))
            .col(timestamp_with_time_zone("created_at"));

        let mut rectification = table("rectification");
        reference(
            &mut rectification,
            "rectification",
            "document_id",
            "supervision_document",
        );
        rectification
            .col(date("reported_on"))
            .col(text("content"))
            .col(string("reported_by"))
            .col(timestamp_with_time_zone("created_at"));

        let mut review = table("review_request");
        reference(
            &mut review,
            "review_request",
            "document_id",
            "supervision_document",
        );
        review
            .col(date("requested_on"))
            .col(text("reasons"))
            .col(string("requested_by"))
            .col(string_null("outcome"))
            .col(text_null("decision"))
            .col(date_null("decided_on"))
            .col(string_null("decided_by"));

        let mut accountability = table("accountability");
        reference(
            &mut accountability,
            "accountability",
            "inspection_id",
            "inspection",
        );
        optional_ref(
            &mut accountability,
            "accountability",
            "department_id",
            "department",
        );
        accountability
            .col(string("subject_kind"))
            .col(string_null("staff_name"))
            .col(text_null("note"))
            .col(string("recorded_by"))
            .col(timestamp_with_time_zone("recorded_at"));

        let mut accountability_item = table("accountability_item");
        parent(
            &mut accountability_item,
            "accountability_item",
            "accountability_id",
            "accountability",
        );
        reference(
            &mut accountability_item,
            "accountability_item",
            "item_id",
            "regime_item",
        );
        accountability_item.col(string("role"));

        let mut audit = table("audit_event");
        audit
            .col(timestamp_with_time_zone("at"))
            .col(string("actor"))
            .col(string("operation"))
            .col(string("entity"))
            .col(integer_null("entity_id"))
            .col(json_null("before"))
            .col(json_null("after"));

        // A retried submission finds its key here and gets the first result back.
        let mut idempotency = table("idempotency_key");
        idempotency
            .col(string_uniq("key"))
            .col(string("operation"))
            .col(string("request_hash"))
            .col(integer_null("entity_id"))
            .col(timestamp_with_time_zone("created_at"));

        let mut calendar = table("calendar_day");
        calendar
            .col(date_uniq("day"))
            .col(boolean("working"))
            .col(string_null("note"));

        for table in [
            inspection,
            method,
            inspector,
            finding,
            document,
            rectification,
            review,
            accountability,
            accountability_item,
            audit,
            idempotency,
            calendar,
        ] {
            manager.create_table(table).await?;
        }
        for index in [
            index("ix_inspection_target", "inspection", "target_department_id"),
            index("ix_inspection_regime", "inspection", "regime_id"),
            unique(
                "ux_inspection_method",
                "inspection_method",
                &["inspection_id", "item_id"],
            ),
            unique("ux_inspector_seq", "inspector", &["inspection_id", "seq"]),
            unique(
                "ux_inspector_certificate",
                "inspector",
                &["inspection_id", "certificate_no"],
            ),
            unique("ux_finding_item", "finding", &["inspection_id", "item_id"]),
            index(
                "ix_document_inspection",
                "supervision_document",
                "inspection_id",
            ),
            index("ix_rectification_document", "rectification", "document_id"),
            unique("ux_review_document", "review_request", &["document_id"]),
            index(
                "ix_accountability_inspection",
                "accountability",
                "inspection_id",
            ),
            unique(
                "ux_accountability_item",
                "accountability_item",
                &["accountability_id", "item_id"],
            ),
            index("ix_audit_entity", "audit_event", "entity"),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "calendar_day",
            "idempotency_key",
            "audit_event",
            "accountability_item",
            "accountability",
            "review_request",
            "rectification",
            "supervision_document",
            "finding",
            "inspector",
            "inspection_method",
            "inspection",
        ] {
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}

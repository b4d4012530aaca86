//! Public services (公共服务事项): create, update (and move), remove.

use crate::db::Write;
use entity::public_service;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use super::versioned::{Operations, Versioned, versioned_names};
use super::{check_phone, draft_for, list_of, mainland_phone, require_editor_of};
use crate::auth::Viewer;
use crate::domain::rules::Checks;
use crate::domain::{Failure, RuleCode, clock::Clock};

/// What an editor sets on a service; `None` leaves a field as it is (on update).
#[derive(Clone, Debug, Default)]
pub struct ServiceFields {
    pub name: Option<String>,
    pub content: Option<String>,
    pub unit_id: Option<i32>,
    pub phone: Option<String>,
    /// 1-based place among the list's services.
    pub position: Option<i32>,
}

fn check_fields(checks: &mut Checks, f: &ServiceFields) -> Option<String> {
    if let Some(name) = &f.name {
        checks.require_text("name", name, "the service name (服务事项)");
    }
    if let Some(content) = &f.content {
        checks.require_text("content", content, "the content (主要内容)");
    }
    f.phone.as_ref().map(|p| check_phone(checks, "phone", p))
}

impl Versioned for public_service::Entity {
    type Fields = ServiceFields;
    /// A service is created under its unit, which its fields name.
    type Parent = ();

    versioned_names!(
        ServiceUnknown,
        "public service",
        "createPublicService",
        "updatePublicService",
        "removePublicService"
    );

    fn snapshot(s: &public_service::Model) -> Value {
        json!({ "seq": s.seq, "name": s.name, "content": s.content, "unitId": s.unit_id,
                "phone": s.phone, "publishedPhone": s.published_phone })
    }

    async fn require_editor(
        txn: &Write,
        viewer: &Viewer,
        row: &public_service::Model,
    ) -> Result<(), Failure> {
        require_editor_of(txn, viewer, row.unit_id).await
    }

    /// A new unit must be the caller's too, and of the same list.
    async fn check(
        txn: &Write,
        viewer: &Viewer,
        row: &public_service::Model,
        f: &ServiceFields,
    ) -> Result<(), Failure> {
        if let Some(unit) = f.unit_id {
            require_editor_of(txn, viewer, unit).await?;
            if list_of(txn, unit, "unitId").await? != row.list_id {
                return Err(Failure::rule(
                    "unitId",
                    RuleCode::UnitOutsideList,
                    "the new unit belongs to another list",
                ));
            }
        }
        let mut checks = Checks::default();
        check_fields(&mut checks, f);
        checks.finish()
    }

    async fn set(
        txn: &Write,
        before: &public_service::Model,
        f: ServiceFields,
    ) -> Result<(), Failure> {
        let mut row: public_service::ActiveModel = before.clone().into();
        if let Some(name) = f.name {
            row.name = Set(name);
        }
        if let Some(content) = f.content {
            row.content = Set(content);
        }
        if let Some(unit) = f.unit_id {
            row.unit_id = Set(unit);
        }
        if let Some(typed) = f.phone {
            // `check` has refused a phone that is not a mainland number.
            row.phone = Set(mainland_phone(&typed).unwrap_or_default());
            row.published_phone = Set(typed);
        }
        row.update(txn).await?;
        Ok(())
    }

    async fn prepare(
        txn: &Write,
        viewer: &Viewer,
        clock: &dyn Clock,
        (): (),
        f: &ServiceFields,
    ) -> Result<(public_service::ActiveModel, Vec<i32>), Failure> {
        let mut checks = Checks::default();
        for (field, value) in [
            ("name", &f.name),
            ("content", &f.content),
            ("phone", &f.phone),
        ] {
            if value.is_none() {
                checks.add(field, RuleCode::Required, format!("{field} is required"));
            }
        }
        let Some(unit) = f.unit_id else {
            checks.add("unitId", RuleCode::Required, "unitId is required");
            return Err(checks.finish().unwrap_err());
        };
        require_editor_of(txn, viewer, unit).await?;
        let phone = check_fields(&mut checks, f).unwrap_or_default();
        checks.finish()?;
        let (list_id, version) = draft_for(txn, clock, unit, "unitId").await?;
        let order = siblings(txn, version).await?;
        let row = public_service::ActiveModel {
            list_id: Set(list_id),
            version_id: Set(version),
            seq: Set(order.len() as i32 + 1),
            name: Set(f.name.clone().unwrap_or_default()),
            content: Set(f.content.clone().unwrap_or_default()),
            unit_id: Set(unit),
            phone: Set(phone),
            published_phone: Set(f.phone.clone().unwrap_or_default()),
            ..Default::default()
        };
        Ok((row, order))
    }

    async fn siblings(txn: &Write, row: &public_service::Model) -> Result<Vec<i32>, Failure> {
        siblings(txn, row.version_id).await
    }
}

/// The services of a version of the list, in published order.
async fn siblings(txn: &Write, version: i32) -> Result<Vec<i32>, Failure> {
    use public_service::Column;
    super::ordered::<public_service::Entity>(
        txn,
        Column::Id,
        Column::VersionId,
        version,
        Column::Seq,
    )
    .await
}

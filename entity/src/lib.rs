//! sea-orm entities of Qingdan: one module a table, no logic.

pub use sea_orm;

pub mod accountability;
pub mod accountability_item;
pub mod audit_event;
pub mod boundary_case;
pub mod boundary_matter;
pub mod calendar_day;
pub mod data_version;
pub mod department;
pub mod department_alias;
pub mod division;
pub mod duty;
pub mod event;
pub mod finding;
pub mod idempotency_key;
pub mod inspection;
pub mod inspection_method;
pub mod inspector;
pub mod legal_basis;
pub mod lexicon_entry;
pub mod list_version;
pub mod misroute;
pub mod public_service;
pub mod rectification;
pub mod regime_item;
pub mod regime_section;
pub mod responsibility_list;
pub mod review_request;
pub mod supervision_document;
pub mod supervision_regime;
pub mod webhook;
pub mod webhook_delivery;
pub mod work_item;

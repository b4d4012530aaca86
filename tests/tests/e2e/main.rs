//! End-to-end tests: one binary, a real server per test. Named `subject__scenario`.
#![expect(non_snake_case, reason = "tests are named subject__scenario")]

mod boundary_editing;
mod cache;
mod compression;
mod consistency;
mod constraints;
mod dataloader;
mod editing;
mod events;
mod front_door;
mod http;
mod import;
mod input;
mod limits;
mod misroute;
mod operations;
mod pagination;
mod persisted;
mod published;
mod reads;
mod reorganisation;
mod schema;
mod search;
mod supervision;
mod tables;
mod tokens;
mod uploads;
mod versions;

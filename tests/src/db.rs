//! One fresh database per test.

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database};
use tokio::sync::OnceCell;

const PREFIX: &str = "qingdan_t_";

static NEXT: AtomicU32 = AtomicU32::new(0);
static SWEPT: OnceCell<()> = OnceCell::const_new();

pub struct TestDatabase {
    pub url: String,
    sqlite_file: Option<std::path::PathBuf>,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{}_{n}", std::process::id());
        match std::env::var("QINGDAN_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                SWEPT.get_or_init(|| sweep(admin_url.clone())).await;
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("PostgreSQL reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create database");
                admin.close().await.ok();
                Self {
                    url: with_database(&admin_url, &name),
                    sqlite_file: None,
                }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let _ = std::fs::remove_file(&path);
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    sqlite_file: Some(path),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

/// Drops the databases earlier runs left behind (a test cannot drop its own on the way out:
/// `Drop` is not async, and its server may still hold connections). A database whose
/// process still runs belongs to a suite running beside this one and is left alone.
async fn sweep(admin_url: String) {
    let admin = Database::connect(&admin_url)
        .await
        .expect("PostgreSQL reachable");
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
        ))
        .await
        .expect("list databases");
    for row in rows {
        let name: String = row.try_get("", "datname").expect("datname");
        if owner_is_running(&name) {
            continue;
        }
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
    admin.close().await.ok();
}

/// True when `name` (`qingdan_t_<pid>_<n>`) was made by a process that still runs.
fn owner_is_running(name: &str) -> bool {
    let pid = name
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split('_').next())
        .and_then(|pid| pid.parse::<u32>().ok());
    pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// `postgres://user@host:port/db?opts` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

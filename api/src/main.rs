//! The `qingdan` command: serve (default) | migrate | import FILE | export [TITLE] [--format F]
//! [--out PATH] | schema |
//! healthcheck (for container probes: exits 0 when the server at LISTEN_ADDR is ready) |
//! token (mints an HS256 token with the configured secret, for development and integration tests).

use std::process::ExitCode;

use std::sync::Arc;

use anyhow::Context;
use qingdan::domain::clock::SystemClock;
use qingdan::{config::Config, db, graphql, import, prepare_database, telemetry};
use sea_orm::EntityTrait;

const USAGE: &str = "usage: qingdan [serve | migrate | import FILE.json|FILE.xlsx|FILE.zip|CSV-DIR
               | export [TITLE] [--format json|csv|xlsx|zip] [--out PATH] | schema | healthcheck
               | token SUBJECT ROLE[,ROLE…] [DEPARTMENT] [HOURS] | generate anhua|county|province]";

/// jemalloc, not glibc's malloc: a request's answer is built of many small allocations (a
/// boxed future and a map an object), and under load glibc spent over a quarter of the
/// server's CPU in malloc and free. With jemalloc a page of 100 inspections answers 20–40 %
/// more requests a second, idle memory within its budget (`bench/RESULTS.md`). Its settings
/// are built in (`.cargo/config.toml`).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("qingdan: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[&str]) -> anyhow::Result<()> {
    match args {
        [] | ["serve"] => serve().await,
        ["schema"] => to_stdout(&graphql::sdl()),
        ["migrate"] => {
            let config = Config::from_env()?;
            let (db, _) = db::connect(&db::PoolSettings::of(&config)).await?;
            db::migrate(&db).await
        }
        ["import", path] => import_list(path).await,
        ["export", rest @ ..] => export_list(rest).await,
        ["healthcheck"] => healthcheck().await,
        ["generate", scale] => {
            let scale = import::generate::Scale::parse(scale)
                .context("SCALE is anhua, county or province")?;
            let config = Config::from_env()?;
            let (db, _) = prepare_database(&config).await?;
            let lists = import::generate::generate(&db, scale).await?;
            println!("generated {lists} lists ({scale:?})");
            Ok(())
        }
        ["token", subject, roles, rest @ ..] if rest.len() <= 2 => {
            token(subject, roles, rest.first().copied(), rest.get(1).copied()).await
        }
        _ => anyhow::bail!("{USAGE}"),
    }
}

/// Writes a command's output to stdout. A reader that stops early (`qingdan schema | head`)
/// ends the output, not the process with a panic, as `print!` would.
fn to_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
}

/// A list to import, read before the database is touched so a bad file fails fast.
enum ListSource {
    Json(String),
    Tables(import::tables::Tables),
}

/// Imports a list file (`.json`), a workbook (`.xlsx`) or a directory of CSV files, each
/// validated and written in one transaction.
async fn import_list(path: &str) -> anyhow::Result<()> {
    use import::tables::{csv, xlsx};
    let location = std::path::Path::new(path);
    let extension = location
        .extension()
        .and_then(|ext| ext.to_str())
        .map(str::to_ascii_lowercase);
    let source = if location.is_dir() {
        ListSource::Tables(csv::read_dir(location).with_context(|| format!("reading {path}"))?)
    } else {
        match extension.as_deref() {
            Some("xlsx") => {
                let bytes = std::fs::read(location).with_context(|| format!("reading {path}"))?;
                ListSource::Tables(xlsx::read(&bytes).with_context(|| format!("reading {path}"))?)
            }
            Some("zip") => {
                let bytes = std::fs::read(location).with_context(|| format!("reading {path}"))?;
                let tables = import::tables::zip::read(&bytes, MAX_UNPACKED_BYTES)
                    .with_context(|| format!("reading {path}"))?;
                ListSource::Tables(tables)
            }
            Some("csv") => anyhow::bail!(
                "{path}: a list in CSV is a directory of files, one a sheet; import the directory"
            ),
            // Any other name is a list file in the JSON format, as it always was.
            _ => ListSource::Json(
                std::fs::read_to_string(location).with_context(|| format!("reading {path}"))?,
            ),
        }
    };
    let config = Config::from_env()?;
    let (db, _) = db::connect(&db::PoolSettings::of(&config)).await?;
    db::migrate(&db).await?;
    let clock = SystemClock;
    let imported = match source {
        ListSource::Json(text) => {
            let file = import::parse(&text).with_context(|| format!("importing {path}"))?;
            import::load_or_revise(&db, &file, &clock)
                .await
                .with_context(|| format!("importing {path}"))?
        }
        ListSource::Tables(tables) => import::tables::import_tables(&db, &tables, &clock)
            .await
            .with_context(|| format!("importing {path}"))?,
    };
    let list_id = match &imported {
        import::Imported::Loaded(summary) => summary.list_id,
        import::Imported::Revised(changes) => changes.list_id,
    };
    let title = entity::responsibility_list::Entity::find_by_id(list_id)
        .one(&db)
        .await?
        .map(|list| list.title)
        .unwrap_or_default();
    println!("imported {path}: 「{title}」, {imported}");
    Ok(())
}

/// The most a ZIP of CSV files may unpack to (a county's list is well under a megabyte).
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// `export [TITLE] [--format json|csv|xlsx] [--out PATH]`: JSON goes to stdout unless `--out`
/// names a file; a workbook is written to the file `--out` names, CSV into the directory.
async fn export_list(args: &[&str]) -> anyhow::Result<()> {
    use import::tables::{csv, to_tables, xlsx};
    let (mut title, mut format, mut out) = (None, "json", None);
    let mut args = args.iter().copied();
    while let Some(arg) = args.next() {
        match arg {
            "--format" => {
                format = args
                    .next()
                    .context("--format needs json, csv, xlsx or zip")?
            }
            "--out" => out = Some(args.next().context("--out needs a path")?),
            flag if flag.starts_with("--") => anyhow::bail!("unknown option {flag}\n{USAGE}"),
            name if title.is_none() => title = Some(name),
            _ => anyhow::bail!("{USAGE}"),
        }
    }
    anyhow::ensure!(
        matches!(format, "json" | "csv" | "xlsx" | "zip"),
        "--format is json, csv, xlsx or zip, not {format:?}"
    );
    let out = match (format, out) {
        ("json", out) => out,
        (_, Some(out)) => Some(out),
        (_, None) => anyhow::bail!("--format {format} writes files: give --out PATH"),
    };
    let config = Config::from_env()?;
    let (db, _) = db::connect(&db::PoolSettings::of(&config)).await?;
    let list = import::export_list(&db, title)
        .await?
        .context("no such list")?;
    match (format, out) {
        ("json", out) => {
            let text = serde_json::to_string_pretty(&list)? + "\n";
            match out {
                None => to_stdout(&text)?,
                Some(out) => std::fs::write(out, text).with_context(|| format!("writing {out}"))?,
            }
        }
        ("xlsx", Some(out)) => {
            let bytes = xlsx::write(&to_tables(&list)?)?;
            std::fs::write(out, bytes).with_context(|| format!("writing {out}"))?;
        }
        ("zip", Some(out)) => {
            let bytes = import::tables::zip::write(&to_tables(&list)?)?;
            std::fs::write(out, bytes).with_context(|| format!("writing {out}"))?;
        }
        (_, Some(out)) => csv::write_dir(&to_tables(&list)?, std::path::Path::new(out))?,
        (_, None) => unreachable!("checked above: only JSON goes to stdout"),
    }
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    let telemetry = telemetry::init();
    let config = Config::from_env()?;
    let listen_addr = config.listen_addr;
    let app = qingdan::app(config, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(listen_addr)
        .await
        .with_context(|| format!("binding {listen_addr}"))?;
    if app.config.exposure.graphiql {
        tracing::info!(addr = %listen_addr, "listening; GraphiQL at http://{listen_addr}/graphql");
    } else {
        tracing::info!(addr = %listen_addr, "listening");
    }
    let metrics = match app.config.exposure.metrics_addr {
        Some(addr) => {
            let metrics = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding QINGDAN_METRICS_ADDR {addr}"))?;
            tracing::info!(addr = %addr, "metrics at http://{addr}/metrics");
            Some(metrics)
        }
        None => None,
    };
    let db = app.db.clone();
    // The first callers are served other reads while the lookup's index is built.
    tokio::spawn(app.warm_up());
    app.serve(listener, metrics, shutdown_signal()).await?;
    // Connections of requests cancelled at the deadline may still be busy (a statement blocked
    // in the database): closing waits for them a moment only. Their transactions never
    // committed; the database rolls them back when the process exits.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(300), db.close()).await;
    tracing::info!("stopped");
    telemetry.shutdown();
    Ok(())
}

/// Prints a signed token for `subject` with `roles` (comma-separated), acting for the
/// department named `department` (name or alias), valid for `hours` (default 8).
async fn token(
    subject: &str,
    roles: &str,
    department: Option<&str>,
    hours: Option<&str>,
) -> anyhow::Result<()> {
    use qingdan::auth::{Claims, Role};
    let config = Config::from_env()?;
    let roles = roles
        .split(',')
        .map(|role| {
            serde_json::from_value::<Role>(serde_json::Value::String(role.trim().to_uppercase()))
        })
        .collect::<Result<Vec<_>, _>>()
        .context("roles are ADMIN, EDITOR, SUPERVISOR, UNIT or DISPATCHER")?;
    let dept = match department {
        Some(name) => {
            let (db, _) = db::connect(&db::PoolSettings::of(&config)).await?;
            let id = qingdan::domain::find_department(&db, name)
                .await?
                .with_context(|| format!("no department {name:?}"))?;
            Some(qingdan::ids::department(id))
        }
        None => None,
    };
    let hours: u64 = hours
        .unwrap_or("8")
        .parse()
        .context("HOURS must be a whole number")?;
    let exp = jsonwebtoken::get_current_timestamp() + hours * 3600;
    let claims = Claims {
        sub: subject.to_owned(),
        dept,
        roles,
        exp,
    };
    println!("{}", config.jwt.verifier()?.sign(&claims)?);
    Ok(())
}

/// Asks the local server's `/readyz` with a bare HTTP/1.0 request: the slim image has no curl.
async fn healthcheck() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = Config::from_env()?;
    let mut addr = config.listen_addr;
    if addr.ip().is_unspecified() {
        addr.set_ip([127, 0, 0, 1].into());
    }
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let status = String::from_utf8_lossy(&response);
    anyhow::ensure!(
        status.starts_with("HTTP/1.0 200") || status.starts_with("HTTP/1.1 200"),
        "not ready"
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down: no new connections; requests in flight may finish");
}

//! The `qingdan` command: serve (default) | migrate | import FILE | export [TITLE] [--format F]
//! [--out PATH] | schema |
//! healthcheck (for container probes: exits 0 when the server at LISTEN_ADDR is ready) |
//! token (mints an HS256 token with the configured secret, for development and integration tests).

use std::process::ExitCode;

use std::sync::Arc;

use anyhow::Context;
use qingdan::domain::clock::{Clock, SystemClock};
use qingdan::{config::Config, db, graphql, http, import, prepare_database, telemetry};
use sea_orm::EntityTrait;

const USAGE: &str = "usage: qingdan [serve | migrate | import FILE.json|FILE.xlsx|CSV-DIR
               | export [TITLE] [--format json|csv|xlsx] [--out PATH] | schema | healthcheck
               | token SUBJECT ROLE[,ROLE…] [DEPARTMENT] [HOURS] | generate anhua|county|province]";

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
        ["schema"] => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        ["migrate"] => {
            let config = Config::from_env()?;
            let (db, _) = db::connect(&config.database_url).await?;
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
    let (db, _) = db::connect(&config.database_url).await?;
    db::migrate(&db).await?;
    let summary = match source {
        ListSource::Json(text) => import::import(&db, &text)
            .await
            .with_context(|| format!("importing {path}"))?,
        ListSource::Tables(tables) => import::tables::load_tables(&db, &tables)
            .await
            .with_context(|| format!("importing {path}"))?,
    };
    let title = entity::responsibility_list::Entity::find_by_id(summary.list_id)
        .one(&db)
        .await?
        .map(|list| list.title)
        .unwrap_or_default();
    println!("imported {path}: 「{title}」, version 1: {summary}");
    Ok(())
}

/// `export [TITLE] [--format json|csv|xlsx] [--out PATH]`: JSON goes to stdout unless `--out`
/// names a file; a workbook is written to the file `--out` names, CSV into the directory.
async fn export_list(args: &[&str]) -> anyhow::Result<()> {
    use import::tables::{csv, to_tables, xlsx};
    let (mut title, mut format, mut out) = (None, "json", None);
    let mut args = args.iter().copied();
    while let Some(arg) = args.next() {
        match arg {
            "--format" => format = args.next().context("--format needs json, csv or xlsx")?,
            "--out" => out = Some(args.next().context("--out needs a path")?),
            flag if flag.starts_with("--") => anyhow::bail!("unknown option {flag}\n{USAGE}"),
            name if title.is_none() => title = Some(name),
            _ => anyhow::bail!("{USAGE}"),
        }
    }
    anyhow::ensure!(
        matches!(format, "json" | "csv" | "xlsx"),
        "--format is json, csv or xlsx, not {format:?}"
    );
    let out = match (format, out) {
        ("json", out) => out,
        (_, Some(out)) => Some(out),
        (_, None) => anyhow::bail!("--format {format} writes files: give --out PATH"),
    };
    let config = Config::from_env()?;
    let (db, _) = db::connect(&config.database_url).await?;
    let list = import::export_list(&db, title)
        .await?
        .context("no such list")?;
    match (format, out) {
        ("json", None) => println!("{}", serde_json::to_string_pretty(&list)?),
        ("json", Some(out)) => {
            let text = serde_json::to_string_pretty(&list)? + "\n";
            std::fs::write(out, text).with_context(|| format!("writing {out}"))?;
        }
        ("xlsx", Some(out)) => {
            let bytes = xlsx::write(&to_tables(&list)?)?;
            std::fs::write(out, bytes).with_context(|| format!("writing {out}"))?;
        }
        (_, Some(out)) => csv::write_dir(&to_tables(&list)?, std::path::Path::new(out))?,
        (_, None) => unreachable!("checked above: only JSON goes to stdout"),
    }
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    telemetry::init();
    let config = Config::from_env()?;
    let (db, _statements) = prepare_database(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .with_context(|| format!("binding {}", config.listen_addr))?;
    if config.exposure.graphiql {
        tracing::info!(addr = %config.listen_addr, "listening; GraphiQL at http://{}/graphql", config.listen_addr);
    } else {
        tracing::info!(addr = %config.listen_addr, "listening");
    }
    let versions = qingdan::data_version::Watch::start(&db).await;
    let state = http::AppState::new(
        db.clone(),
        config.verifier()?,
        Arc::new(SystemClock),
        config.limits,
        versions,
    )
    .with_cors_origins(&config.cors_origins)
    .with_trusted_documents(config.trusted_documents.clone())
    .with_exposure(&config.exposure);
    // The lookup's index for today, built while the first callers are served other reads.
    let searcher = state.searcher.clone();
    tokio::spawn(async move {
        if let Err(error) = searcher.index(SystemClock.today()).await {
            tracing::warn!(%error, "building the lookup index at start");
        }
    });
    if let Some(addr) = config.exposure.metrics_addr {
        // Its own listener, closed with the process: scrapes need no graceful end.
        let metrics = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding QINGDAN_METRICS_ADDR {addr}"))?;
        tracing::info!(addr = %addr, "metrics at http://{addr}/metrics");
        tokio::spawn(http::serve_metrics(metrics, state.clone()));
    }
    http::serve(
        listener,
        http::router(state),
        shutdown_signal(),
        config.shutdown_grace,
    )
    .await?;
    // Connections of requests cancelled at the deadline may still be busy (a statement blocked
    // in the database): closing waits for them a moment only. Their transactions never
    // committed; the database rolls them back when the process exits.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(300), db.close()).await;
    tracing::info!("stopped");
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
            let (db, _) = db::connect(&config.database_url).await?;
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

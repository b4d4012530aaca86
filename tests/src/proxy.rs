//! A TCP proxy between a server and its PostgreSQL that a test can cut and restore, to play
//! a database outage without stopping the PostgreSQL other tests share.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

struct Shared {
    upstream: String,
    cut: AtomicBool,
    /// The tasks relaying open connections; aborting one closes both of its sockets.
    connections: Mutex<Vec<JoinHandle<()>>>,
}

pub struct DbProxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accepting: JoinHandle<()>,
}

impl DbProxy {
    /// Listens on a free local port and relays each connection to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            cut: AtomicBool::new(false),
            connections: Mutex::new(Vec::new()),
        });
        let accepting = tokio::spawn(accept(listener, shared.clone()));
        Self {
            addr,
            shared,
            accepting,
        }
    }

    /// The outage: every open connection is closed, and new ones are closed as soon as they
    /// are accepted, until `restore`. Returns once the open ones are gone.
    pub async fn cut(&self) {
        let open = {
            let mut connections = self.shared.connections.lock().unwrap();
            self.shared.cut.store(true, Ordering::SeqCst);
            std::mem::take(&mut *connections)
        };
        for connection in &open {
            connection.abort();
        }
        for connection in open {
            let _ = connection.await;
        }
    }

    /// The database is reachable again.
    pub fn restore(&self) {
        let _connections = self.shared.connections.lock().unwrap();
        self.shared.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        for connection in self.shared.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        // Decided under the lock `cut` takes, so no connection slips past a cut.
        let mut connections = shared.connections.lock().unwrap();
        if shared.cut.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        connections.retain(|connection| !connection.is_finished());
        let upstream = shared.upstream.clone();
        connections.push(tokio::spawn(async move {
            let mut client = client;
            let Ok(mut server) = TcpStream::connect(&upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }));
    }
}

/// `postgres://user@host:port/db?…` split around its `host:port` (port 5432 when absent).
pub fn split_authority(url: &str) -> Option<(&str, String, &str)> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host = &authority[host_start..];
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    Some((
        &url[..scheme_end + host_start],
        host,
        &url[scheme_end + end..],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_authority_keeps_user_database_and_options() {
        assert_eq!(
            split_authority("postgres://postgres@127.0.0.1:5432/q?sslmode=disable"),
            Some((
                "postgres://postgres@",
                "127.0.0.1:5432".to_owned(),
                "/q?sslmode=disable"
            ))
        );
        assert_eq!(
            split_authority("postgres://db/q"),
            Some(("postgres://", "db:5432".to_owned(), "/q"))
        );
    }
}

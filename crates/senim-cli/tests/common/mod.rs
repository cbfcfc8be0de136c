//! Running the real `senim` binary: a server on a free port, and commands against it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SENIM: &str = env!("CARGO_BIN_EXE_senim");

/// A database URL whose connections use a new, empty schema (`prefix` and
/// this process's id) of the test database.
pub fn fresh_postgres_url(prefix: &str) -> String {
    let base = std::env::var("SENIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("{prefix}_{}", std::process::id());
    let status = Command::new("psql")
        .args([
            &base,
            "-q",
            "-c",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
        ])
        .status()
        .expect("psql is needed for the PostgreSQL tests");
    assert!(status.success());
    format!("{base}?options=-c%20search_path%3D{schema}")
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub logins: Vec<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(args: &[&str]) -> Server {
    let mut all = vec!["--bind", "127.0.0.1:0", "--demo"];
    all.extend_from_slice(args);
    start_exactly(&all)
}

/// `senim serve` with `args` alone (no port, no demo of its own).
pub fn start_exactly(args: &[&str]) -> Server {
    let mut child = Command::new(SENIM)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut logins = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        assert!(Instant::now() < deadline, "server did not become ready");
        let line = lines.next().expect("server exited early").unwrap();
        if line.contains("password:") {
            let parts: Vec<&str> = line.split_whitespace().collect();
            logins.push((parts[0].to_string(), parts.last().unwrap().to_string()));
        }
        if let Some(rest) = line.strip_prefix("Senim is ready at ") {
            break rest.split('/').take(3).collect::<Vec<_>>().join("/");
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, url, logins }
}

/// Runs `future` to its end on a runtime of its own (the tests are
/// synchronous; their HTTP calls are not).
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

pub fn senim(
    server: &Server,
    token: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut cmd = Command::new(SENIM);
    cmd.args(args)
        .env("SENIM_SERVER", &server.url)
        .env_remove("SENIM_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        cmd.env("SENIM_TOKEN", t);
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// An API token for a demo account, through `senim login` with the
/// password the demo printed.
pub fn login(server: &Server, email: &str) -> String {
    let password = &server
        .logins
        .iter()
        .find(|(e, _)| e == email)
        .unwrap_or_else(|| panic!("the demo prints {email}'s password"))
        .1;
    let (ok, out, err) = senim(
        server,
        None,
        &[
            "login",
            "--email",
            email,
            "--password-stdin",
            "--scopes",
            "read,write,admin",
        ],
        Some(password),
    );
    assert!(ok, "{err}");
    out.trim().to_string()
}

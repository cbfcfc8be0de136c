//! What the workspace's test suites share, kept out of the crates they test.
//!
//! The store's conformance suite and the server's HTTP tests both run every
//! test against PostgreSQL as well as SQLite, each test in a schema of its
//! own. Making such a schema is test plumbing, not part of the store's API,
//! so it lives here, in a crate that is never published and that only
//! dev-dependencies name.

use std::sync::Arc;

use senim_store::{Location, StoreError, StoreOptions};
use sqlx::Connection;

/// Options for a store in a new, empty PostgreSQL schema of the database at
/// `url`: how the test suites give every test its own tables inside the
/// run's database. The schema is named `{prefix}_{a fresh UUIDv7}`; the
/// store's connections find it through `search_path`, and its audit log is
/// signed with a random key.
pub async fn fresh_postgres_schema(url: &str, prefix: &str) -> Result<StoreOptions, StoreError> {
    let schema = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let key = senim_tlog::NoteSigner::from_seed("test.senim/log", &rand::random::<[u8; 32]>())
        .map_err(|e| StoreError::Config(e.to_string()))?;
    Ok(StoreOptions {
        after_connect_sql: Some(format!("SET search_path TO {schema}")),
        read_connections: 4,
        log_key: Some(Arc::new(key)),
        ..StoreOptions::new(Location::Url(url.to_string()))
    })
}

/// The test public-key infrastructure of `tools/test-pki/make.sh`, shaped
/// like the National Certification Authority's, and signing with its keys
/// through the `openssl` command (issue 21). Test plumbing: a failure to
/// make or sign is the test's failure.
#[allow(clippy::expect_used, clippy::panic)]
pub mod pki {
    use std::hash::{Hash, Hasher};
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::sync::OnceLock;

    fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/test-pki/make.sh")
    }

    /// The directory of the test PKI, made once per version of the script
    /// and shared by the test processes (making it takes seconds: RSA keys).
    pub fn dir() -> &'static Path {
        static DIR: OnceLock<PathBuf> = OnceLock::new();
        DIR.get_or_init(|| {
            let text = std::fs::read(script()).unwrap_or_default();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut hasher);
            let dir = std::env::temp_dir().join(format!("senim-test-pki-{:016x}", hasher.finish()));
            if dir.join("root.pem").exists() {
                return dir;
            }
            let making = dir.with_extension(format!("making-{}", std::process::id()));
            let ok = Command::new("bash")
                .arg(script())
                .arg(&making)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "tools/test-pki/make.sh failed (is openssl installed?)");
            // Another test process may have made it meanwhile: either is good.
            if std::fs::rename(&making, &dir).is_err() {
                let _ = std::fs::remove_dir_all(&making);
            }
            dir
        })
    }

    /// A file of the test PKI, read.
    pub fn file(name: &str) -> Vec<u8> {
        std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// A CMS signature (DER) of `data` by the test PKI's `who` (`person`,
    /// `org`, `signer`, ...), carrying its certificate and the
    /// intermediate's; the text attached or detached.
    pub fn sign(who: &str, data: &[u8], attached: bool) -> Vec<u8> {
        let dir = dir();
        let mut command = Command::new("openssl");
        command
            .args([
                "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256",
            ])
            .arg("-signer")
            .arg(dir.join(format!("{who}.pem")))
            .arg("-inkey")
            .arg(dir.join(format!("{who}.key")))
            .arg("-certfile")
            .arg(dir.join("inter.pem"));
        if attached {
            command.arg("-nodetach");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("openssl");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(data)
            .expect("write");
        let out = child.wait_with_output().expect("openssl cms");
        assert!(out.status.success(), "openssl cms -sign failed");
        out.stdout
    }

    /// `cms` with every rsaEncryption identifier (the keys' algorithm)
    /// replaced by one of Kazakhstan's GOST family of the same length
    /// (1.2.398.3.10.1.1.1.1): what a GOST certificate's key looks like to
    /// the verifier, since OpenSSL here makes no GOST keys.
    pub fn as_gost(cms: &[u8]) -> Vec<u8> {
        const RSA: [u8; 11] = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
        ];
        const GOST: [u8; 11] = [
            0x06, 0x09, 0x2a, 0x83, 0x0e, 0x03, 0x0a, 0x01, 0x01, 0x01, 0x01,
        ];
        let mut out = cms.to_vec();
        let mut i = 0;
        while i + RSA.len() <= out.len() {
            if out[i..i + RSA.len()] == RSA {
                out[i..i + RSA.len()].copy_from_slice(&GOST);
            }
            i += 1;
        }
        out
    }
}

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

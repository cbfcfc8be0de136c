//! All HTTP tests, in one binary, laid out like the URL space. Each test runs
//! twice, on SQLite and on PostgreSQL, against a real server on port 0.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod access_matrix;
mod bad_input;
mod health;
mod openapi;
pub mod pages;
mod replay_fixtures;
pub mod routes;

mod accounts;
mod cases;
mod ckan;
pub mod datasets;
mod log;
mod organisations;
mod rulepacks;
mod session;
mod systems;

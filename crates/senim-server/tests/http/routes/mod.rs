pub mod accounts;
pub mod cases;
mod ckan;
pub mod datasets;
pub mod log;
pub mod organisations;
mod rulepacks;
mod session;
mod systems;

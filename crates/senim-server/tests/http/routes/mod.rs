mod accounts;
mod cases;
pub mod datasets;
mod log;
mod organisations;
mod rulepacks;
mod session;
mod systems;

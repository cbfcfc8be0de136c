mod accounts;
mod log;
mod organisations;
mod rulepacks;
mod session;
mod systems;

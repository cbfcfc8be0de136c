mod accounts;
mod cases;
mod log;
mod organisations;
mod rulepacks;
mod session;
mod systems;

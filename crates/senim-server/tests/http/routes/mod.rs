mod accounts;
mod organisations;
mod rulepacks;
mod session;
mod systems;

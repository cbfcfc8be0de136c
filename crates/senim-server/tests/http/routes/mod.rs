mod accounts;
mod organisations;
mod session;
mod systems;

//! The integration tests of itas: one binary, one module per area.
//! Server tests run once per backend (SQLite and PostgreSQL); see `app.rs`.

mod api_rounds;
mod api_tokens;
mod app;
mod audit;
mod authz;
mod bounds;
mod browser;
mod charts;
mod cli_check_report;
mod cli_report;
mod cli_score;
mod cli_serve;
mod collection;
mod crash;
mod dashboard;
mod draft_budget;
mod evidence;
mod faults;
mod history;
mod integrity;
mod multi;
mod national;
mod oit;
mod open_data;
mod parity;
mod plan;
mod procs;
mod proxy;
mod public_page;
mod results;
mod server_admin;
mod server_auth;
mod sign_in;
mod storage;
mod support;

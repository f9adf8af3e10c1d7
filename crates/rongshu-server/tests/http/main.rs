//! Integration tests: the real server on port 0, spoken to over HTTP.

mod access_walk;
mod accounts;
mod api_keys;
mod ckan;
mod common;
mod console;
mod console_catalogue;
mod deliveries;
mod ledger;
mod problems;
mod sign_in;
mod workflow;

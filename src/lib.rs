//! jingsai: a self-hosted quiz and knowledge-contest server.

pub mod analysis;
pub mod audit;
pub mod auth;
pub mod bank;
pub mod cluster;
pub mod config;
pub mod contest;
pub mod error;
pub mod export;
pub mod http;
pub mod identity;
pub mod metrics;
pub mod paper;
pub mod realtime;
pub mod results;
pub mod scoring;
pub mod server;
pub mod stage;
pub mod store;

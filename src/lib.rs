//! Gatehouse: a self-hosted staff access console.

pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod jobs;
pub mod routes;
pub mod secret_key;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod web;

//! Rongshu's HTTP side: the JSON API under `/api/v1`, the server-rendered
//! console, and the gate every request passes.
//!
//! Architecture invariant: this is the only crate that knows HTTP, JSON and
//! HTML. Request and response types live here (`api::types`) and are
//! converted explicitly to and from the domain and store types.
//!
//! Every route is declared once, in [`routes::routes`], with the parties and
//! roles it admits; the router is built from that table, so no route exists
//! without a declared access rule, and one gate ([`gate`]) enforces it.

pub mod admin;
mod api;
mod auth;
mod console;
mod context;
mod error;
mod gate;
mod key_cache;
mod metrics;
mod openapi;
pub mod resources;
pub mod routes;
mod state;
mod tls;
mod webhooks;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;

use crate::routes::{RouteSpec, Surface};

pub use auth::purge_ended_sessions;
pub use error::ApiError;
pub use state::{AppState, ServerSettings};
pub use tls::serve_tls;
pub use webhooks::{dispatch_webhooks, signature as webhook_signature};

/// The public application: every declared API, console and system route
/// behind the gate.
pub fn app(state: AppState) -> Router {
    listener_app(state, |spec| spec.surface != Surface::Front)
}

/// The front system's application, for its own listener: the front-system
/// routes and a health check, nothing of the public side.
pub fn front_app(state: AppState) -> Router {
    listener_app(state, |spec| {
        spec.surface == Surface::Front || spec.path == "/healthz"
    })
}

fn listener_app(state: AppState, serves: impl Fn(&RouteSpec) -> bool) -> Router {
    let limit = state.settings().body_limit_bytes;
    let mut router = Router::new();
    for spec in routes::routes().iter().filter(|s| serves(s)) {
        router = router.route(spec.path, gate::guarded(&state, spec));
    }
    router
        .fallback(gate::unmatched)
        .layer(axum::middleware::map_response(
            gate::problem_for_bare_errors,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves `app` over plain HTTP until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

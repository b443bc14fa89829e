//! vod-local: a stand-in for ApsaraVideo VOD and OSS on this machine.
//!
//! It plays the customer's backend (`/api/`), OSS itself (multipart upload with V1 signature
//! checks, objects streamed to disk), serves the demo page and the npm package, and has test
//! controls under `/_admin/`.

mod admin;
mod backend;
mod broken;
mod connection;
mod cors;
mod db;
mod faults;
mod hold;
mod media;
mod oss;
mod signing;
mod state;
mod store;
mod vod;
mod xml;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use state::AppState;
pub use state::Config;

/// The whole service: backend, admin, OSS and static files, behind CORS.
fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .nest("/api", backend::router())
        .merge(vod::router())
        .nest("/_admin", admin::router())
        .fallback(dispatch)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            hold::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            broken::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::count_bucket_requests,
        ))
        .with_state(state)
}

/// OSS for virtual-hosted and path-style bucket addresses; static files for the rest: `pkg/` at
/// `/pkg/`, `dist/` at `/dist/`, `www/` at `/`.
async fn dispatch(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if let Some(target) = oss::addressing::locate(&request, &state.config.bucket) {
        return oss::handle(state, target, request).await;
    }
    let path = request.uri().path();
    // The pages have no icon: the browser's own request for one is answered with nothing, not a
    // 404 that would stand among a page's console errors.
    if path == "/favicon.ico" {
        return axum::response::IntoResponse::into_response(axum::http::StatusCode::NO_CONTENT);
    }
    let mounts = [("/pkg", &state.config.pkg), ("/dist", &state.config.dist)];
    let mounted = mounts.into_iter().find_map(|(prefix, dir)| {
        let rest = path.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then(|| (dir.clone(), rest.to_string()))
    });
    let (dir, request) = match mounted {
        Some((dir, rest)) => (dir, with_path(request, &rest)),
        None => (state.config.www.clone(), request),
    };
    let served = ServeDir::new(dir).oneshot(request).await;
    let mut response = served
        .expect("ServeDir is infallible")
        .map(axum::body::Body::new);
    let csp = state.csp.lock().unwrap().clone();
    if let Some(value) = csp.and_then(|p| axum::http::HeaderValue::from_str(&p).ok()) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

fn with_path(mut request: Request, path: &str) -> Request {
    let path = if path.is_empty() { "/" } else { path };
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    *request.uri_mut() = format!("{path}{query}")
        .parse()
        .expect("a path taken from a URI");
    request
}

/// A running server. Dropping it stops accepting connections.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Opens `config.data`, binds `config.listen` (port 0 picks a free one) and serves in the
    /// background.
    pub async fn start(config: Config) -> Result<Server, String> {
        let listen = config.listen;
        let cannot_listen = |e: std::io::Error| format!("cannot listen on {listen}: {e}");
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(cannot_listen)?;
        let addr = listener.local_addr().map_err(cannot_listen)?;
        let state = Arc::new(AppState::new(config, addr)?);
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(connection::serve(listener, app(state), async {
            let _ = stopped.await;
        }));
        Ok(Server {
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// Serves until `signal` completes.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) {
        signal.await;
        self.stop.take().map(|s| s.send(()));
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
    }

    /// `http://127.0.0.1:PORT`, for path-style requests.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The defaults the command line starts from.
pub fn default_config(data: PathBuf) -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        data,
        reset: false,
        bucket: "vod-local".to_string(),
        token_ttl: Duration::from_secs(3000),
        region: "cn-shanghai".to_string(),
        www: PathBuf::from("www"),
        pkg: PathBuf::from("pkg"),
        dist: PathBuf::from("dist"),
    }
}

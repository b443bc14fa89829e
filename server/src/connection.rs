//! The accept loop. axum's own `serve` cannot reset a connection on request, which the
//! `reset` fault needs, so each connection is served here with hyper directly.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tower::Service;

/// Put into every request: lets a handler reset the connection it came on.
#[derive(Clone)]
pub struct Reset(Arc<Mutex<Option<oneshot::Sender<()>>>>);

impl Reset {
    pub fn now(&self) {
        if let Some(tx) = self.0.lock().unwrap().take() {
            let _ = tx.send(());
        }
    }
}

pub async fn serve(listener: TcpListener, app: Router, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => { tokio::spawn(connection(stream, peer, app.clone())); }
                Err(e) => eprintln!("vod-local: accept failed: {e}"),
            },
            _ = &mut stop => return,
        }
    }
}

async fn connection(stream: TcpStream, peer: SocketAddr, app: Router) {
    // A second handle on the socket survives hyper's, so a reset can set SO_LINGER 0 on it.
    let Ok(raw) = stream.into_std() else { return };
    let Ok(spare) = raw.try_clone() else { return };
    let Ok(stream) = TcpStream::from_std(raw) else {
        return;
    };
    let (tx, rx) = oneshot::channel();
    let reset = Reset(Arc::new(Mutex::new(Some(tx))));
    let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
        request.extensions_mut().insert(reset.clone());
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().call(request.map(Body::new))
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = rx => { let _ = socket2::SockRef::from(&spare).set_linger(Some(Duration::ZERO)); }
    }
}

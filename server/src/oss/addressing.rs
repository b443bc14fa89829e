//! Which bucket and object a request names: virtual-hosted (`<bucket>.localhost:PORT/<key>`)
//! or path-style (`localhost:PORT/<bucket>/<key>`, only for the server's own bucket, since
//! other paths are the backend's and the static files').

use axum::extract::Request;
use axum::http::header;
use percent_encoding::percent_decode_str;

pub struct Target {
    pub bucket: String,
    /// The raw key bytes as sent, percent-decoded; checked for UTF-8 by the handler.
    pub key: Vec<u8>,
    pub query: Vec<(String, String)>,
}

impl Target {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn locate(request: &Request, own_bucket: &str) -> Option<Target> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .unwrap_or("");
    let path = request.uri().path();
    let (bucket, key) = match virtual_host_bucket(host) {
        Some(bucket) => (bucket.to_string(), &path[1.min(path.len())..]),
        None => {
            let rest = path.strip_prefix('/')?;
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket != own_bucket {
                return None;
            }
            (bucket.to_string(), key)
        }
    };
    Some(Target {
        bucket,
        key: percent_decode_str(key).collect(),
        query: parse_query(request.uri().query().unwrap_or("")),
    })
}

/// `b.localhost:8080` names bucket `b`; a bare host name or an IP address names none.
fn virtual_host_bucket(host: &str) -> Option<&str> {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    if name.starts_with('[') || name.parse::<std::net::Ipv4Addr>().is_ok() {
        return None;
    }
    name.split_once('.').map(|(bucket, _)| bucket)
}

/// Query parameters, percent-decoded (`+` is not a space in OSS queries).
fn parse_query(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (decode(name), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, uri: &str) -> Option<Target> {
        let request = Request::builder()
            .uri(uri)
            .header(header::HOST, host)
            .body(axum::body::Body::empty())
            .unwrap();
        locate(&request, "own")
    }

    #[test]
    fn virtual_hosted() {
        let t = target(
            "b.localhost:8080",
            "/sv/1/a%20b%C3%BC.mp4?uploadId=X&partNumber=2",
        )
        .unwrap();
        assert_eq!(t.bucket, "b");
        assert_eq!(t.key, "sv/1/a bü.mp4".as_bytes());
        assert_eq!(t.param("partNumber"), Some("2"));
        assert_eq!(t.param("uploadId"), Some("X"));
    }

    #[test]
    fn path_style_only_for_the_own_bucket() {
        let t = target("127.0.0.1:8080", "/own/dir/k?uploads").unwrap();
        assert_eq!(
            (t.bucket.as_str(), t.key.as_slice()),
            ("own", b"dir/k".as_slice())
        );
        assert_eq!(t.param("uploads"), Some(""));
        assert!(target("localhost:8080", "/index.html").is_none());
        assert!(target("localhost", "/pkg/x.wasm").is_none());
    }

    #[test]
    fn plus_is_not_a_space() {
        let t = target("b.localhost", "/a+b?x=1+2").unwrap();
        assert_eq!(t.key, b"a+b");
        assert_eq!(t.param("x"), Some("1+2"));
    }
}

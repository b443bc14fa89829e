//! CORS on preflights and answers, static files, and keys or paths that try to escape.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn preflight_allows_any_origin_methods_and_asked_headers() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let response = h
        .http
        .request(reqwest::Method::OPTIONS, h.url(&format!("/{}/{}?uploads", c.bucket, c.key)))
        .header("Origin", "http://127.0.0.1:9999")
        .header("Access-Control-Request-Method", "PUT")
        .header("Access-Control-Request-Headers", "authorization,content-type,content-md5,x-oss-date,x-oss-security-token,x-oss-user-agent")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let header = |n: &str| response.headers()[n].to_str().unwrap().to_string();
    assert_eq!(
        header("access-control-allow-origin"),
        "http://127.0.0.1:9999"
    );
    for method in ["GET", "PUT", "POST", "DELETE", "HEAD"] {
        assert!(header("access-control-allow-methods").contains(method));
    }
    assert!(header("access-control-allow-headers").contains("x-oss-security-token"));
}

#[tokio::test]
async fn errors_and_successes_carry_cors_and_expose_etag_unless_told_not_to() {
    let h = Harness::start().await;
    let c = h.creds_for("a.mp4").await;
    let error = h
        .oss(&c, "GET", "")
        .header("Origin", "http://page.test")
        .send()
        .await;
    assert_eq!(error.status(), 404);
    assert_eq!(
        error.headers()["access-control-allow-origin"],
        "http://page.test"
    );
    let exposed = error.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_string();
    for name in ["ETag", "x-oss-request-id", "x-oss-hash-crc64ecma"] {
        assert!(exposed.contains(name), "{exposed}");
    }
    let api = h
        .http
        .post(h.url("/api/upload-auth"))
        .header("Origin", "http://page.test")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.headers()["access-control-allow-origin"],
        "http://page.test"
    );

    h.admin(
        reqwest::Method::POST,
        "cors",
        Some(json!({"exposeEtag": false})),
    )
    .await;
    let put = h.oss(&c, "PUT", "").body("x").send().await;
    let exposed = put.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(
        !exposed.contains("ETag") && exposed.contains("x-oss-request-id"),
        "{exposed}"
    );
}

#[tokio::test]
async fn static_files_with_content_types() {
    let h = Harness::start().await;
    let index = h.http.get(h.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(index.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let wasm = h.http.get(h.url("/pkg/probe.wasm")).send().await.unwrap();
    assert_eq!(wasm.status(), 200);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");
    assert_eq!(
        h.http
            .get(h.url("/nope.html"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // No icon, and no error for the one the browser asks for.
    let icon = h.http.get(h.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(icon.status(), 204);
}

#[tokio::test]
async fn paths_cannot_escape_the_served_folders() {
    let h = Harness::start().await;
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/pkg/../../Cargo.toml",
        "/pkg/%2e%2e/%2e%2e/Cargo.toml",
        "/..%2fCargo.toml",
        "/pkg/..%5c..%5cCargo.toml",
    ] {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let answer = raw_http(h.addr, request).await;
        assert!(
            !answer.contains("[workspace]") && !answer.contains("[package]"),
            "{path} leaked:\n{answer}"
        );
        assert!(!answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
    }
}

#[tokio::test]
async fn object_keys_never_become_paths() {
    let h = Harness::start().await;
    // The backend keeps only the file's own name in a key.
    let c = h.creds_for("../../../../etc/evil.mp4").await;
    assert!(!c.key.contains(".."), "{}", c.key);
    // A key with dot segments is refused before anything is stored (out of the credential's
    // scope), and a stored object lives under a name the server chose, whatever its key.
    let escape = h
        .oss(&c, "PUT", "")
        .with(|call| call.key = format!("{}/../../../../escape", c.key));
    let answer = escape.send_raw().await;
    assert!(
        answer.starts_with("HTTP/1.1 403") && answer.contains("<Code>AccessDenied</Code>"),
        "{answer}"
    );
    let leading = h
        .oss(&c, "PUT", "")
        .with(|call| call.key = "/etc/x".into())
        .body("x");
    let (status, code, _) = error_of(leading.send().await).await;
    assert_eq!((status, code.as_str()), (400, "InvalidObjectName"));
    assert_eq!(h.oss(&c, "PUT", "").body("x").send().await.status(), 200);
    let mut files = Vec::new();
    walk(h.data.path(), &mut files);
    // Beside the server's database, one file: the object's.
    files.retain(|f| !f.ends_with("vod-local.redb"));
    assert_eq!(files.len(), 1);
    let relative = files[0].strip_prefix(h.data.path()).unwrap();
    assert!(relative.starts_with("objects"), "{relative:?}");
    assert!(!relative.to_string_lossy().contains("evil"));
}

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

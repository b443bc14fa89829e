//! A vod-local started in-process on a free loopback port, with a client that signs OSS
//! requests the way the SDK does.
#![allow(dead_code)] // each test file uses its own share of the harness

use std::path::PathBuf;
use std::time::SystemTime;

use base64::{engine::general_purpose::STANDARD, Engine};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};
use vod_local::{default_config, Config, Server};
use vod_upload::oss::{signature, xml};

/// Characters a key segment keeps as they are.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub struct Harness {
    pub addr: std::net::SocketAddr,
    pub http: reqwest::Client,
    pub data: tempfile::TempDir,
    pub running: Running,
}

/// The server, in this process or as the `vod-local` binary; either stops when dropped.
pub enum Running {
    InProcess(Server),
    Child(tokio::process::Child),
}

/// Starts the `vod-local` binary with `data` on `listen`; its address, or what it said on
/// stderr when it would not start. Its output is drained for as long as it runs.
pub async fn spawn_binary(
    data: &std::path::Path,
    listen: &str,
    extra: &[&str],
) -> Result<(tokio::process::Child, std::net::SocketAddr), String> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vod-local"))
        .args(["--listen", listen, "--data"])
        .arg(data)
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let Some(line) = lines.next_line().await.unwrap() else {
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .await
            .unwrap();
        return Err(stderr);
    };
    // A closed pipe would make the server's next line fail.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let mut stderr = child.stderr.take().unwrap();
    tokio::spawn(async move { stderr.read_to_end(&mut Vec::new()).await });
    let url = line.trim().rsplit(' ').next().unwrap();
    Ok((child, url.trim_start_matches("http://").parse().unwrap()))
}

/// Credentials as the backend hands them out, decoded.
#[derive(Clone)]
pub struct Creds {
    pub id: String,
    pub secret: String,
    pub token: String,
    pub bucket: String,
    pub key: String,
    pub video_id: String,
    pub auth: Value,
    pub address: Value,
}

pub fn decode(b64: &Value) -> Value {
    serde_json::from_slice(&STANDARD.decode(b64.as_str().unwrap()).unwrap()).unwrap()
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::with(|_| {}).await
    }

    pub async fn with(change: impl FnOnce(&mut Config)) -> Harness {
        let data = tempfile::tempdir().unwrap();
        let mut config = default_config(data.path().to_path_buf());
        config.listen = "127.0.0.1:0".parse().unwrap();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        config.www = root.join("www");
        config.pkg = root.join("server/tests/fixtures/pkg");
        config.dist = root.join("server/tests/fixtures/dist");
        change(&mut config);
        let server = Server::start(config).await.unwrap();
        Harness {
            addr: server.addr,
            http: reqwest::Client::new(),
            data,
            running: Running::InProcess(server),
        }
    }

    /// Starts the `vod-local` binary on a free port, as the xtask does.
    pub async fn binary() -> Harness {
        let data = tempfile::tempdir().unwrap();
        let (child, addr) = spawn_binary(data.path(), "127.0.0.1:0", &[]).await.unwrap();
        Harness {
            addr,
            http: reqwest::Client::new(),
            data,
            running: Running::Child(child),
        }
    }

    /// Kills the binary at once (SIGKILL, as a crash would) and starts it again on the same
    /// address and data folder.
    pub async fn kill_and_restart(&mut self) {
        let Running::Child(child) = &mut self.running else {
            panic!("only the binary can be killed");
        };
        child.kill().await.unwrap();
        let (child, _) = spawn_binary(self.data.path(), &self.addr.to_string(), &[])
            .await
            .unwrap();
        self.running = Running::Child(child);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn api(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn creds_for(&self, file_name: &str) -> Creds {
        let (status, answer) = self
            .api(
                "/api/upload-auth",
                json!({"title": "t", "fileName": file_name}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        creds(&answer)
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, self.url(&format!("/_admin/{path}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "admin {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    pub async fn fault(&self, rule: Value) {
        self.admin(reqwest::Method::POST, "faults", Some(rule))
            .await;
    }

    pub async fn hold(&self, rule: Value) {
        self.admin(reqwest::Method::POST, "hold", Some(rule)).await;
    }

    pub async fn objects(&self) -> Vec<Value> {
        let v = self.admin(reqwest::Method::GET, "objects", None).await;
        v["objects"].as_array().unwrap().clone()
    }

    pub async fn uploads(&self) -> Vec<Value> {
        let v = self.admin(reqwest::Method::GET, "uploads", None).await;
        v["uploads"].as_array().unwrap().clone()
    }

    pub fn oss<'a>(&'a self, creds: &'a Creds, method: &str, query: &str) -> Call<'a> {
        Call {
            harness: self,
            creds,
            method: method.to_string(),
            key: creds.key.clone(),
            query: query.to_string(),
            headers: Vec::new(),
            unsigned_headers: Vec::new(),
            body: None,
            date: httpdate::fmt_http_date(SystemTime::now()),
            secret: creds.secret.clone(),
            token: Some(creds.token.clone()),
            virtual_host: false,
            sign: true,
        }
    }
}

pub fn creds(answer: &Value) -> Creds {
    let auth = decode(&answer["UploadAuth"]);
    let address = decode(&answer["UploadAddress"]);
    Creds {
        id: auth["AccessKeyId"].as_str().unwrap().into(),
        secret: auth["AccessKeySecret"].as_str().unwrap().into(),
        token: auth["SecurityToken"].as_str().unwrap().into(),
        bucket: address["Bucket"].as_str().unwrap().into(),
        key: address["FileName"].as_str().unwrap().into(),
        video_id: answer["VideoId"].as_str().unwrap_or_default().into(),
        auth,
        address,
    }
}

/// One OSS request, signed when sent; every part of it can be spoiled for a test.
pub struct Call<'a> {
    harness: &'a Harness,
    creds: &'a Creds,
    method: String,
    pub key: String,
    query: String,
    headers: Vec<(String, String)>,
    /// Sent but left out of the signature, as a proxy adding a header would.
    unsigned_headers: Vec<(String, String)>,
    body: Option<reqwest::Body>,
    pub date: String,
    pub secret: String,
    pub token: Option<String>,
    pub virtual_host: bool,
    pub sign: bool,
}

impl Call<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn unsigned_header(mut self, name: &str, value: &str) -> Self {
        self.unsigned_headers
            .push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn with(mut self, change: impl FnOnce(&mut Self)) -> Self {
        change(&mut self);
        self
    }

    /// Method, path and query, and the headers (signed unless told otherwise).
    fn prepare(&self) -> (String, Vec<(String, String)>) {
        let mut headers = self.headers.clone();
        headers.push(("x-oss-date".into(), self.date.clone()));
        if let Some(token) = &self.token {
            headers.push(("x-oss-security-token".into(), token.clone()));
        }
        let query: Vec<(String, String)> = self
            .query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (n, v) = p.split_once('=').unwrap_or((p, ""));
                (n.to_string(), v.to_string())
            })
            .collect();
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        if self.sign {
            let header_refs = signature::borrowed(&headers);
            let query_refs = signature::borrowed(&query);
            let string_to_sign = signature::Request {
                verb: &self.method,
                content_md5: find("content-md5"),
                content_type: find("content-type"),
                date: &self.date,
                headers: &header_refs,
                bucket: &self.creds.bucket,
                key: &self.key,
                query: &query_refs,
            }
            .string_to_sign();
            let authorization =
                signature::authorization(&self.creds.id, &self.secret, &string_to_sign);
            headers.push(("authorization".into(), authorization));
        }
        headers.extend(self.unsigned_headers.iter().cloned());
        // Dot segments are encoded whole, or they would be resolved away.
        let encoded_key: Vec<String> = self
            .key
            .split('/')
            .map(|s| match s {
                "." | ".." => s.replace('.', "%2E"),
                _ => utf8_percent_encode(s, SEGMENT).to_string(),
            })
            .collect();
        let query_suffix = if self.query.is_empty() {
            String::new()
        } else {
            format!("?{}", self.query)
        };
        let path = if self.virtual_host {
            headers.push((
                "host".into(),
                format!(
                    "{}.localhost:{}",
                    self.creds.bucket,
                    self.harness.addr.port()
                ),
            ));
            format!("/{}{query_suffix}", encoded_key.join("/"))
        } else {
            format!(
                "/{}/{}{query_suffix}",
                self.creds.bucket,
                encoded_key.join("/")
            )
        };
        (path, headers)
    }

    pub async fn send(self) -> reqwest::Response {
        self.try_send().await.unwrap()
    }

    /// Sends the request; a connection that fails is an error, not a panic.
    pub async fn try_send(self) -> Result<reqwest::Response, reqwest::Error> {
        let (path, headers) = self.prepare();
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).unwrap();
        let mut request = self.harness.http.request(method, self.harness.url(&path));
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        if let Some(body) = self.body {
            request = request.body(body);
        }
        request.send().await
    }

    /// Sends the request line exactly as prepared, with no client resolving dot segments,
    /// and no body; returns the whole answer as text.
    pub async fn send_raw(self) -> String {
        let (path, headers) = self.prepare();
        let mut request = format!("{} {path} HTTP/1.1\r\n", self.method);
        if !headers.iter().any(|(n, _)| n == "host") {
            request += "host: localhost\r\n";
        }
        for (name, value) in &headers {
            request += &format!("{name}: {value}\r\n");
        }
        request += "content-length: 0\r\nconnection: close\r\n\r\n";
        raw_http(self.harness.addr, request).await
    }
}

/// Writes `request` to a fresh connection as it is and reads the whole answer.
pub async fn raw_http(addr: std::net::SocketAddr, request: String) -> String {
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap()
}

/// An OSS error answer: status, Code, and the whole document.
pub async fn error_of(response: reqwest::Response) -> (u16, String, xml::Element) {
    let status = response.status().as_u16();
    assert!(response.headers().contains_key("x-oss-request-id"));
    let text = response.text().await.unwrap();
    let doc = xml::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(doc.name, "Error", "{text}");
    let code = doc.text_of("Code").unwrap().to_string();
    assert!(doc.text_of("RequestId").is_some_and(|r| !r.is_empty()));
    (status, code, doc)
}

pub async fn xml_of(response: reqwest::Response) -> xml::Element {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    xml::parse(&text).unwrap()
}

pub async fn initiate(h: &Harness, c: &Creds) -> String {
    let doc = xml_of(h.oss(c, "POST", "uploads").send().await).await;
    doc.text_of("UploadId").unwrap().to_string()
}

/// Uploads one part; returns its ETag.
pub async fn put_part(
    h: &Harness,
    c: &Creds,
    upload_id: &str,
    number: u32,
    bytes: Vec<u8>,
) -> String {
    let response = h
        .oss(
            c,
            "PUT",
            &format!("partNumber={number}&uploadId={upload_id}"),
        )
        .body(bytes)
        .send()
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    response.headers()["etag"].to_str().unwrap().to_string()
}

pub async fn abort(h: &Harness, c: &Creds, upload_id: &str) -> reqwest::Response {
    h.oss(c, "DELETE", &format!("uploadId={upload_id}"))
        .send()
        .await
}

pub fn complete_body(parts: &[(u32, &str)]) -> String {
    let parts: String = parts
        .iter()
        .map(|(n, e)| format!("<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"))
        .collect();
    format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>")
}

pub async fn complete(
    h: &Harness,
    c: &Creds,
    upload_id: &str,
    parts: &[(u32, &str)],
) -> reqwest::Response {
    h.oss(c, "POST", &format!("uploadId={upload_id}"))
        .header("Content-Type", "application/xml")
        .body(complete_body(parts))
        .send()
        .await
}

/// Deterministic bytes that differ by seed.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(bytes))
}

pub const KIB: usize = 1024;

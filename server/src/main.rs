use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use vod_local::{default_config, Server};

/// Local stand-in for ApsaraVideo VOD and OSS.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Folder for the database, stored objects and parts; kept across restarts.
    #[arg(long)]
    data: PathBuf,
    /// Empty the data folder at start.
    #[arg(long)]
    reset: bool,
    /// The bucket credentials are minted for.
    #[arg(long, default_value = "vod-local", value_parser = bucket_name)]
    bucket: String,
    /// Lifetime of minted credentials, in seconds.
    #[arg(long, default_value_t = 3000)]
    token_ttl: u64,
    /// Region named in credentials.
    #[arg(long, default_value = "cn-shanghai")]
    region: String,
    /// Folder served at `/`.
    #[arg(long, default_value = "www")]
    www: PathBuf,
    /// Folder served at `/pkg/`.
    #[arg(long, default_value = "pkg")]
    pkg: PathBuf,
    /// Folder served at `/dist/`.
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Listen on an address other than loopback (the test controls still answer loopback only).
    #[arg(long)]
    allow_remote: bool,
}

/// OSS bucket names: 3 to 63 lower-case letters, digits and hyphens, not starting or ending with
/// a hyphen.
fn bucket_name(name: &str) -> Result<String, String> {
    let ok = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    ok.then(|| name.to_string()).ok_or_else(|| {
        "a bucket name is 3 to 63 of a-z, 0-9 and -, not starting or ending with -".to_string()
    })
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        eprintln!("vod-local: refusing to listen on {}, which is not a loopback address; pass --allow-remote to do it anyway", args.listen);
        std::process::exit(2);
    }
    let mut config = default_config(args.data);
    config.reset = args.reset;
    config.listen = args.listen;
    config.bucket = args.bucket;
    config.token_ttl = Duration::from_secs(args.token_ttl);
    config.region = args.region;
    config.www = args.www;
    config.pkg = args.pkg;
    config.dist = args.dist;
    let server = match Server::start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("vod-local: {e}");
            std::process::exit(1);
        }
    };
    // The harnesses read this line to learn the port.
    println!("vod-local listening on {}", server.url());
    println!("demo page: http://localhost:{}/", server.addr.port());
    server
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
}

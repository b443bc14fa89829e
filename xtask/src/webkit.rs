//! What WebKit needs on a Linux machine with no screen: WebKitGTK's MiniBrowser draws on an X
//! display, which Xvfb provides, and resolves host names through the system, so the bucket's
//! `*.localhost` name must be in `/etc/hosts` (Chromium and Firefox resolve it themselves).

use std::process::{Child, Stdio};

use crate::process::Cmd;
use crate::Result;

/// The names the browser tests reach on loopback beside `localhost`: vod-local's bucket.
const HOSTS: &[&str] = &["vod-local.localhost"];

/// An Xvfb display, stopped when dropped (also when a test fails).
pub struct Display {
    pub name: String,
    number: u32,
    child: Child,
}

impl Display {
    pub fn start() -> Result<Display> {
        // The first display number nobody holds.
        let number = (90..200)
            .find(|n| !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .ok_or("no free X display number between :90 and :199".to_string())?;
        let name = format!(":{number}");
        let child = Cmd::new("Xvfb")
            .args([
                name.as_str(),
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "1280x800x24",
            ])
            .inner()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e}"))?;
        // The display is served once its socket is there; the wait is a guard against an Xvfb
        // that never comes up, not a time it should take.
        let socket = format!("/tmp/.X11-unix/X{number}");
        for _ in 0..600 {
            if std::path::Path::new(&socket).exists() {
                return Ok(Display {
                    name,
                    number,
                    child,
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err(format!("Xvfb {name} did not come up within 30 s"))
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Killed, Xvfb leaves its lock and socket behind; the next run would skip the number.
        let n = self.number;
        let _ = std::fs::remove_file(format!("/tmp/.X{n}-lock"));
        let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{n}"));
    }
}

/// Adds the loopback names WebKit cannot resolve to `/etc/hosts`, saying so.
pub fn ensure_hosts() -> Result {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let missing: Vec<&str> = HOSTS
        .iter()
        .copied()
        .filter(|name| !hosts.split_whitespace().any(|word| word == *name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let line = format!("127.0.0.1 {}\n", missing.join(" "));
    println!("xtask: adding `{}` to /etc/hosts, for WebKit", line.trim());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open("/etc/hosts")
        .map_err(|e| {
            format!("cannot add {missing:?} to /etc/hosts (run as root, or add them): {e}")
        })?;
    std::io::Write::write_all(&mut file, line.as_bytes()).map_err(|e| e.to_string())?;
    Ok(())
}

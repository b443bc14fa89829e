//! The example apps, built as a user builds them: each installs the package from the tarball
//! `npm pack` makes of `pkg/`, not by path, then builds into `www/` where vod-local serves it:
//! Vite (`www/vite/`), webpack 5 (`www/webpack/`), and a plain module page that needs no build
//! beyond copying it with its `node_modules` (`www/module/`).

use std::path::{Path, PathBuf};

use crate::process::{run, Cmd};
use crate::{root, tools, Result};

fn io(what: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", what.display())
}

/// `npm pack` of `pkg/` into `target/pack/`; the tarball's path.
fn pack() -> Result<PathBuf> {
    let dir = root().join("target/pack");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    run(Cmd::new("npm")
        .args(["pack", "./pkg", "--silent", "--pack-destination"])
        .arg(&dir))?;
    let mut tarballs = std::fs::read_dir(&dir)
        .map_err(io(&dir))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tgz"));
    match (tarballs.next(), tarballs.next()) {
        (Some(tarball), None) => Ok(tarball),
        _ => Err(format!(
            "npm pack left no single tarball in {}",
            dir.display()
        )),
    }
}

/// The app's own tools (from its lock file), then the package from the tarball; `--no-save`
/// keeps the tarball, which changes with every build, out of the app's lock file.
fn install(app: &Path, tarball: &Path) -> Result {
    if app.join("package-lock.json").exists() {
        tools::ensure_npm_packages(app)?;
    }
    run(Cmd::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund"])
        .arg(tarball)
        .current_dir(app))
}

fn copy_tree(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let path = entry.map_err(io(from))?.path();
        let target = to.join(path.file_name().expect("a directory entry has a name"));
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).map_err(io(&path))?;
        }
    }
    Ok(())
}

pub fn build() -> Result {
    let tarball = pack()?;
    let examples = root().join("examples");

    let vite = examples.join("vite");
    install(&vite, &tarball)?;
    run(Cmd::new("node_modules/.bin/vite")
        .arg("build")
        .current_dir(&vite))?;

    let webpack = examples.join("webpack");
    install(&webpack, &tarball)?;
    run(Cmd::new("node_modules/.bin/webpack").current_dir(&webpack))?;

    // The module page is served as it is, beside the package npm installed for it.
    let module = examples.join("module");
    install(&module, &tarball)?;
    let served = root().join("www/module");
    if served.exists() {
        std::fs::remove_dir_all(&served).map_err(io(&served))?;
    }
    std::fs::create_dir_all(&served).map_err(io(&served))?;
    for file in ["index.html", "main.js", "page.js"] {
        let to = served.join(file);
        std::fs::copy(module.join(file), &to).map_err(io(&to))?;
    }
    copy_tree(
        &module.join("node_modules/vod-upload"),
        &served.join("node_modules/vod-upload"),
    )
}

//! `cargo xtask dist`: the npm package in `pkg/` (the `web` target at its root, the `bundler`
//! target under `bundler/`) and the script-tag build in `dist/`, with their gzip sizes.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha384};

use crate::closure_slots;
use crate::process::{run, Cmd};
use crate::wasm_names;
use crate::{root, Result};

/// wasm-opt's flags for the shipped wasm: the features every browser the SDK supports has, and
/// one promise that is true of Rust's wasm: its stack grows down from 1 MiB with data and heap
/// above, so the low kilobyte, whose addresses wasm-opt may then fold into loads and stores, is
/// reached only by a stack about to overflow. (`--ignore-implicit-traps` is not among them: it
/// lets wasm-opt move a load above the check that guards it, and a load the check would have
/// skipped then traps; it did, in a page's `start()`.)
/// The sections that say which tools and features built the wasm are of no use to a page. The
/// size pipeline runs three times: each finds what the one before's inlining and folding laid
/// open (the second -0.2 KB gzip; the third -0.1 KB, measured on 2026-12-07).
const WASM_OPT: [&str; 12] = [
    "-Oz",
    "-Oz",
    "-Oz",
    "--low-memory-unused",
    "--strip-producers",
    "--strip-target-features",
    "--enable-bulk-memory",
    "--enable-reference-types",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-multivalue",
];

/// A shipped build: without the crate's `std` feature, so the wasm carries no `std`; the
/// closure shims' table slots emptied, then optimized for size.
fn wasm_pack(target: &str, out_dir: &str) -> Result {
    let command = match registry_remaps() {
        flags if flags.is_empty() => Cmd::new("wasm-pack"),
        flags => Cmd::new("wasm-pack").env("CARGO_ENCODED_RUSTFLAGS", flags),
    };
    run(command.args([
        "build",
        "--release",
        "--target",
        target,
        "--out-dir",
        out_dir,
        "--",
        "--no-default-features",
        "--features",
        // wasm-bindgen gives the module to a Worker in these targets only.
        if target == "bundler" { "" } else { "worker" },
    ]))?;
    let wasm = root().join(out_dir).join("vod_upload_bg.wasm");
    let emptied = closure_slots::empty(&wasm)?;
    println!("xtask: {emptied} table slots of closure shims emptied");
    run(Cmd::new("wasm-opt")
        .args(WASM_OPT)
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))
}

/// The panic locations a shipped wasm carries name the files of crates from the registry from
/// their own folder (`sha1-0.11.0/src/…`), not from this machine's cargo home: the same bytes
/// wherever it is built, and fewer of them (82 B gzip less, on 2026-12-07). Flags for
/// `CARGO_ENCODED_RUSTFLAGS`, one per registry.
fn registry_remaps() -> String {
    let registries = std::fs::read_dir(format!("{}/registry/src", crate::tools::cargo_home()));
    let flags: Vec<String> = registries
        .into_iter()
        .flatten()
        .flatten()
        .map(|dir| format!("--remap-path-prefix={}/=", dir.path().display()))
        .collect();
    flags.join("\x1f")
}

fn io(e: std::io::Error) -> String {
    e.to_string()
}

/// The npm package: `import init, { VodUploader } from "vod-upload"` (web target, explicit
/// init) or `from "vod-upload/bundler"` (for bundlers that load `.wasm` as a module).
pub fn npm_package() -> Result {
    wasm_pack("web", "pkg")?;
    wasm_pack("bundler", "pkg/bundler")?;
    let pkg = root().join("pkg");
    for (folder, scripts) in [
        ("", &["vod_upload.js"][..]),
        ("bundler", &["vod_upload.js", "vod_upload_bg.js"][..]),
    ] {
        let dir = pkg.join(folder);
        let mut texts: Vec<_> = scripts.iter().map(|s| dir.join(s)).collect();
        texts.extend([
            dir.join("vod_upload.d.ts"),
            dir.join("vod_upload_bg.wasm.d.ts"),
        ]);
        let texts: Vec<&Path> = texts.iter().map(|p| p.as_path()).collect();
        wasm_names::shorten(&dir.join("vod_upload_bg.wasm"), &texts)?;
    }
    for generated in [
        ".gitignore",
        "bundler/.gitignore",
        "bundler/README.md",
        "bundler/package.json",
    ] {
        let _ = std::fs::remove_file(pkg.join(generated));
    }
    let version = env!("CARGO_PKG_VERSION");
    // The package's entry: wasm-bindgen's module, with `addStream` on `VodUploader` and
    // `recorderStream` beside it (stream.js).
    let streams = std::fs::read_to_string(root().join("src/web/stream.js")).map_err(io)?;
    for (folder, default) in [
        (
            "",
            "import init from \"./vod_upload.js\";\nexport default init;\n",
        ),
        ("bundler", ""),
    ] {
        let module = format!(
            "import {{ VodUploader }} from \"./vod_upload.js\";\nexport * from \"./vod_upload.js\";\n{default}\n{streams}\nconst findRecordings = vodStreams(VodUploader);\nexport {{ findRecordings, recorderStream }};\n"
        );
        std::fs::write(pkg.join(folder).join("index.js"), module).map_err(io)?;
        let types = format!(
            "export * from \"./vod_upload.js\";\n{}/** A `ReadableStream` of what `recorder` records, for `addStream`: it ends when the recorder stops. */\nexport function recorderStream(recorder: MediaRecorder): ReadableStream<Blob>;\n/** The streams an earlier page left unfinished, with what it kept. */\nexport function findRecordings(): Promise<import(\"./vod_upload.js\").FoundRecording[]>;\n",
            if default.is_empty() { "" } else { "export { default } from \"./vod_upload.js\";\n" }
        );
        std::fs::write(pkg.join(folder).join("index.d.ts"), types).map_err(io)?;
    }
    let compat = std::fs::read_to_string(root().join("src/web/aliyun.js")).map_err(io)?;
    let types = root().join("src/web/aliyun.d.ts");
    for (folder, load) in [
        ("", "import init, * as sdk from \"./vod_upload.js\";\n"),
        ("bundler", "import * as sdk from \"./vod_upload.js\";\n"),
    ] {
        let sdk = match folder {
            "" => "() => init().then(() => sdk)",
            _ => "() => sdk",
        };
        let module = format!(
            "{load}\n{compat}\n/** aliyun-upload-sdk 1.5.x's API over this SDK; loads the wasm on first use. */\n\
             const AliyunUpload = aliyunUpload({sdk}, \"{version}\");\n\
             export default AliyunUpload;\nexport const Vod = AliyunUpload.Vod;\n"
        );
        std::fs::write(pkg.join(folder).join("aliyun.js"), module).map_err(io)?;
        std::fs::copy(&types, pkg.join(folder).join("aliyun.d.ts")).map_err(io)?;
    }
    let manifest = json!({
        "name": "vod-upload",
        "version": version,
        "description": "Browser upload SDK for ApsaraVideo VOD: multipart upload straight to OSS, in Rust compiled to WebAssembly",
        "license": "UNLICENSED",
        "type": "module",
        "main": "./index.js",
        "module": "./index.js",
        "types": "./index.d.ts",
        "exports": {
            ".": { "types": "./index.d.ts", "default": "./index.js" },
            "./bundler": { "types": "./bundler/index.d.ts", "default": "./bundler/index.js" },
            "./aliyun": { "types": "./aliyun.d.ts", "default": "./aliyun.js" },
            "./bundler/aliyun": { "types": "./bundler/aliyun.d.ts", "default": "./bundler/aliyun.js" },
            "./vod_upload_bg.wasm": "./vod_upload_bg.wasm",
            "./package.json": "./package.json"
        },
        "files": [
            "vod_upload.js", "vod_upload.d.ts", "vod_upload_bg.wasm", "vod_upload_bg.wasm.d.ts",
            "bundler/vod_upload.js", "bundler/vod_upload_bg.js", "bundler/vod_upload.d.ts",
            "bundler/vod_upload_bg.wasm", "bundler/vod_upload_bg.wasm.d.ts", "README.md",
            "aliyun.js", "aliyun.d.ts", "bundler/aliyun.js", "bundler/aliyun.d.ts",
            "index.js", "index.d.ts", "bundler/index.js", "bundler/index.d.ts"
        ],
        // The web build does nothing until init(); the bundler build instantiates on import;
        // the 1.5.x layer starts loading the SDK when it is imported.
        "sideEffects": [
            "./bundler/vod_upload.js", "./bundler/vod_upload_bg.js", "./aliyun.js",
            "./bundler/aliyun.js", "./index.js", "./bundler/index.js"
        ],
        "keywords": ["vod", "oss", "upload", "multipart", "wasm", "aliyun"]
    });
    let text = serde_json::to_string_pretty(&manifest).expect("JSON") + "\n";
    std::fs::write(pkg.join("package.json"), text).map_err(io)?;
    std::fs::copy(root().join("npm/README.md"), pkg.join("README.md")).map_err(io)?;
    Ok(())
}

/// One file for a plain `<script src>`: the no-modules build wrapped so that it defines only
/// the globals `VodUpload` and `AliyunUpload` (aliyun-upload-sdk 1.5.x's API), with
/// `vod-upload_bg.wasm` beside it.
pub fn script_tag() -> Result {
    wasm_pack("no-modules", "target/no-modules")?;
    let built = root().join("target/no-modules");
    wasm_names::shorten(
        &built.join("vod_upload_bg.wasm"),
        &[&built.join("vod_upload.js")],
    )?;
    let glue = std::fs::read_to_string(built.join("vod_upload.js")).map_err(io)?;
    // The script carries its wasm's hash and fetches it with it, so that one `integrity`
    // attribute on the script tag vouches for both files.
    let wasm_integrity = integrity(&std::fs::read(built.join("vod_upload_bg.wasm")).map_err(io)?);
    let compat = std::fs::read_to_string(root().join("src/web/aliyun.js")).map_err(io)?;
    let streams = std::fs::read_to_string(root().join("src/web/stream.js")).map_err(io)?;
    let dist = root().join("dist");
    std::fs::create_dir_all(&dist).map_err(io)?;
    let script = format!(
        "/*! vod-upload {version}: browser upload SDK for ApsaraVideo VOD. Loads vod-upload_bg.wasm from beside this file. */\n\
         (function () {{\n\
         {glue}\n\
         {compat}\n\
         {streams}\n\
         var findRecordings = vodStreams(wasm_bindgen.VodUploader);\n\
         var wasm = new URL('vod-upload_bg.wasm', (document.currentScript && document.currentScript.src) || location.href);\n\
         var api = {{ VodUploader: wasm_bindgen.VodUploader, version: wasm_bindgen.version, findCheckpoint: wasm_bindgen.findCheckpoint, recorderStream: recorderStream, findRecordings: findRecordings }};\n\
         api.ready = wasm_bindgen({{ module_or_path: new Request(wasm, {{ integrity: '{wasm_integrity}' }}) }}).then(function () {{ return api; }});\n\
         window.VodUpload = api;\n\
         window.AliyunUpload = aliyunUpload(function () {{ return api.ready.then(function () {{ return wasm_bindgen; }}); }}, '{version}');\n\
         }})();\n",
        version = env!("CARGO_PKG_VERSION")
    );
    let unminified = built.join("script-tag.js");
    std::fs::write(&unminified, script).map_err(io)?;
    // Names of properties are kept: the wasm's imports are looked up by them.
    run(Cmd::new("terser")
        .arg(&unminified)
        .args(["--compress", "--mangle", "--comments", "/^!/", "--output"])
        .arg(dist.join("vod-upload.js")))?;
    std::fs::copy(
        built.join("vod_upload_bg.wasm"),
        dist.join("vod-upload_bg.wasm"),
    )
    .map_err(io)?;
    Ok(())
}

fn gzip_size(path: &Path) -> Result<(u64, u64)> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&bytes).map_err(io)?;
    Ok((
        bytes.len() as u64,
        encoder.finish().map_err(io)?.len() as u64,
    ))
}

/// The Subresource Integrity value of `bytes`: `sha384-` and the digest in base64.
fn integrity(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// What a page may pay for the script-tag build with every feature in, gzip -9: 96 KiB (92 KiB,
/// and 4 KiB for uploading streams as they are recorded). A build over it fails `cargo xtask
/// dist` (and so `cargo xtask test`), naming by how much.
const SCRIPT_TAG_BUDGET: u64 = 98_304;

/// The verdict on a script tag of `gzip` bytes: within the budget, or an error saying how far
/// over it is.
fn within_budget(gzip: u64) -> Result<String> {
    match gzip.checked_sub(SCRIPT_TAG_BUDGET) {
        Some(over) if over > 0 => Err(format!(
            "the script tag is {gzip} bytes gzip, over its budget of {SCRIPT_TAG_BUDGET} by {over} bytes"
        )),
        _ => Ok(format!("within it by {} bytes", SCRIPT_TAG_BUDGET - gzip)),
    }
}

/// Prints raw and gzip sizes, and the totals a page downloads.
pub fn report() -> Result {
    let groups: [(&str, &[&str]); 3] = [
        (
            "npm package, web target",
            &["pkg/vod_upload.js", "pkg/vod_upload_bg.wasm"],
        ),
        (
            "npm package, bundler target",
            &[
                "pkg/bundler/vod_upload.js",
                "pkg/bundler/vod_upload_bg.js",
                "pkg/bundler/vod_upload_bg.wasm",
            ],
        ),
        (
            "script tag",
            &["dist/vod-upload.js", "dist/vod-upload_bg.wasm"],
        ),
    ];
    for (name, files) in groups {
        let (mut raw, mut gzip) = (0, 0);
        for file in files {
            let (r, g) = gzip_size(&root().join(file))?;
            println!("  {file:<34} {r:>8} bytes, {g:>7} gzip");
            raw += r;
            gzip += g;
        }
        println!(
            "{name}: {raw} bytes, {gzip} bytes gzip ({:.1} KB)",
            gzip as f64 / 1000.0
        );
        if name == "script tag" {
            let verdict = within_budget(gzip)?;
            println!("  budget for the script tag: {SCRIPT_TAG_BUDGET} bytes gzip, {verdict}");
            let script = std::fs::read(root().join("dist/vod-upload.js")).map_err(io)?;
            println!(
                "  <script src=\".../vod-upload.js\" integrity=\"{}\" crossorigin=\"anonymous\">",
                integrity(&script)
            );
            println!("  (the script checks vod-upload_bg.wasm against the hash it carries)");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{integrity, within_budget, SCRIPT_TAG_BUDGET};

    #[test]
    fn a_script_tag_over_its_budget_fails_and_one_at_it_passes() {
        assert_eq!(
            within_budget(SCRIPT_TAG_BUDGET).as_deref(),
            Ok("within it by 0 bytes")
        );
        assert_eq!(
            within_budget(SCRIPT_TAG_BUDGET + 1),
            Err("the script tag is 98305 bytes gzip, over its budget of 98304 by 1 bytes".into())
        );
    }

    #[test]
    fn integrity_is_sha384_in_base64() {
        // The SHA-384 of "abc" (FIPS 180-2's example), as `openssl dgst -sha384 -binary | base64`
        // gives it.
        assert_eq!(
            integrity(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }
}

//! Short names for the glue's generated imports and exports. wasm-bindgen names them like
//! `__wbg_fetch_3cd32055a417f095`: 86 such names, each written in the wasm and in the
//! JavaScript, and their hashes do not compress. They become `$0`, `$1`, … in both.
//! Only names with wasm-bindgen's prefixes are touched, so the public API (`VodUploader`,
//! `version`) and `memory` keep theirs.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::wasm_binary::{self, write_leb, write_name, Reader};
use crate::Result;

const GENERATED: [&str; 3] = ["__wbg_", "__wbindgen_", "wasm_bindgen__"];

/// Renames in `wasm` and in every file of `texts` (its JavaScript and TypeScript).
pub fn shorten(wasm: &Path, texts: &[&Path]) -> Result {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut sources = Vec::new();
    for path in texts {
        let bytes = read(path)?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", path.display()))?;
        let short = |t: &str| {
            t.strip_prefix('$')
                .is_some_and(|n| n.parse::<u32>().is_ok())
        };
        if tokens(&text).any(short) {
            return Err(format!("{} already has names like $0", path.display()));
        }
        sources.push(text);
    }
    let (module, renamed) = rename(&read(wasm)?)?;
    let mut seen = HashSet::new();
    let rewritten: Vec<String> = sources
        .iter()
        .map(|text| replace_tokens(text, &renamed, &mut seen))
        .collect();
    // Nothing is written unless every renamed name was found.
    if let Some(name) = renamed.keys().find(|name| !seen.contains(name.as_str())) {
        return Err(format!("{name} is in the wasm but not in its JavaScript"));
    }
    for (path, text) in texts.iter().zip(rewritten) {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    std::fs::write(wasm, module).map_err(|e| format!("{}: {e}", wasm.display()))
}

/// `text` with every identifier that `renamed` holds replaced; `seen` gathers those found.
fn replace_tokens<'a>(
    text: &'a str,
    renamed: &HashMap<String, String>,
    seen: &mut HashSet<&'a str>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    for token in tokens(text) {
        // Between two identifiers there are only separators, so the first match is the token.
        let at = rest.find(token).expect("tokens come in order");
        out.push_str(&rest[..at]);
        match renamed.get(token) {
            Some(short) => {
                seen.insert(token);
                out.push_str(short);
            }
            None => out.push_str(token),
        }
        rest = &rest[at + token.len()..];
    }
    out.push_str(rest);
    out
}

/// The identifiers of a JavaScript or TypeScript text, in order.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .filter(|t| !t.is_empty())
}

/// The module with generated import and export names shortened, and the renaming.
fn rename(module: &[u8]) -> Result<(Vec<u8>, HashMap<String, String>)> {
    let mut renamed = HashMap::new();
    let module = wasm_binary::rewrite(module, |id, body| match id {
        2 => names_section(body, &mut renamed, true).map(Some),
        7 => names_section(body, &mut renamed, false).map(Some),
        _ => Ok(None),
    })?;
    Ok((module, renamed))
}

/// An import or export section: each entry's name is renamed, the rest copied.
fn names_section(
    body: &[u8],
    renamed: &mut HashMap<String, String>,
    imports: bool,
) -> Result<Vec<u8>> {
    let mut input = Reader::new(body);
    let mut out = Vec::new();
    let count = input.leb()?;
    write_leb(&mut out, count);
    for _ in 0..count {
        if imports {
            let module = input.name()?;
            write_name(&mut out, module);
        }
        let name = std::str::from_utf8(input.name()?).map_err(|_| "a name not in UTF-8")?;
        let name = if GENERATED.iter().any(|p| name.starts_with(p)) {
            let next = format!("${}", renamed.len());
            renamed.entry(name.to_string()).or_insert(next).clone()
        } else {
            name.to_string()
        };
        write_name(&mut out, name.as_bytes());
        let start = input.at;
        if imports {
            import_rest(&mut input)?;
        } else {
            export_rest(&mut input)?;
        }
        out.extend(&body[start..input.at]);
    }
    if input.at != body.len() {
        return Err("trailing bytes in an import or export section".into());
    }
    Ok(out)
}

/// What follows an import's name: its kind and type.
fn import_rest(input: &mut Reader) -> Result {
    match input.byte()? {
        0 => input.leb().map(drop),
        1 => {
            input.byte()?;
            limits(input)
        }
        2 => limits(input),
        3 => input.take(2).map(drop),
        4 => input.byte().and_then(|_| input.leb()).map(drop),
        kind => Err(format!("an import of unknown kind {kind}")),
    }
}

/// What follows an export's name: its kind and index.
fn export_rest(input: &mut Reader) -> Result {
    input.byte()?;
    input.leb().map(drop)
}

fn limits(input: &mut Reader) -> Result {
    let flags = input.byte()?;
    input.leb()?;
    if flags & 1 != 0 {
        input.leb()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one function type, two imports (a function and a memory with limits),
    /// a function and two exports.
    fn module(import: &str, export: &str) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let section = |m: &mut Vec<u8>, id: u8, body: Vec<u8>| {
            m.push(id);
            write_leb(m, body.len() as u64);
            m.extend(body);
        };
        section(&mut m, 1, vec![1, 0x60, 0, 0]);
        let mut imports = vec![2];
        write_name(&mut imports, b"./glue.js");
        write_name(&mut imports, import.as_bytes());
        imports.extend([0, 0]);
        write_name(&mut imports, b"env");
        write_name(&mut imports, b"mem");
        imports.extend([2, 1, 1, 2]);
        section(&mut m, 2, imports);
        section(&mut m, 3, vec![1, 0]);
        let mut exports = vec![2];
        write_name(&mut exports, export.as_bytes());
        exports.extend([0, 1]);
        write_name(&mut exports, b"version");
        exports.extend([0, 1]);
        section(&mut m, 7, exports);
        section(&mut m, 10, vec![1, 2, 0, 0x0B]);
        m
    }

    #[test]
    fn generated_names_are_shortened_and_the_rest_kept() {
        let (out, renamed) =
            rename(&module("__wbg_fetch_3cd32055a417f095", "__wbindgen_malloc")).unwrap();
        assert_eq!(out, module("$0", "$1"));
        assert_eq!(renamed["__wbg_fetch_3cd32055a417f095"], "$0");
        assert_eq!(renamed["__wbindgen_malloc"], "$1");
        assert_eq!(renamed.len(), 2);
    }

    #[test]
    fn files_are_rewritten_and_a_name_missing_from_the_script_is_an_error() {
        let dir = std::env::temp_dir().join(format!("wasm-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wasm = dir.join("m.wasm");
        let js = dir.join("m.js");
        std::fs::write(
            &wasm,
            module("__wbg_fetch_3cd32055a417f095", "__wbindgen_malloc"),
        )
        .unwrap();
        std::fs::write(
            &js,
            "imports = { __wbg_fetch_3cd32055a417f095: f }; wasm.__wbindgen_malloc(1); version();",
        )
        .unwrap();
        shorten(&wasm, &[&js]).unwrap();
        assert_eq!(std::fs::read(&wasm).unwrap(), module("$0", "$1"));
        assert_eq!(
            std::fs::read_to_string(&js).unwrap(),
            "imports = { $0: f }; wasm.$1(1); version();"
        );

        std::fs::write(
            &wasm,
            module("__wbg_fetch_3cd32055a417f095", "__wbindgen_malloc"),
        )
        .unwrap();
        std::fs::write(&js, "imports = { __wbg_fetch_3cd32055a417f095: f };").unwrap();
        let error = shorten(&wasm, &[&js]).unwrap_err();
        assert!(error.contains("__wbindgen_malloc"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

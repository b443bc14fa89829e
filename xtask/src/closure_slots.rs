//! Empties the function table's slots that hold wasm-bindgen's closure invoke shims.
//!
//! js-sys and web-sys describe every import they declare, and each import that takes a closure
//! (`forEach` of every typed array, say) names an invoke shim for it in the function table.
//! wasm-bindgen drops the imports the SDK does not use, but their shims stay in the table, so
//! wasm-opt must keep them: some 40 functions, 4 KB, for the 3 closures the SDK makes. The
//! generated JavaScript calls a closure through an export, never through the table, so no
//! `call_indirect` ever reaches these slots: they become null, and wasm-opt drops the shims
//! nothing else calls. Names are needed to tell the shims, so this runs before wasm-opt, which
//! strips them.

use std::collections::HashSet;
use std::path::Path;

use crate::wasm_binary::{self, write_leb, Reader};
use crate::Result;

/// How wasm-bindgen's invoke shims are named, in the name section it keeps.
const INVOKE: &str = "wasm_bindgen::convert::closures::_::invoke";

/// Empties the slots of `wasm`'s invoke shims; how many there were.
pub fn empty(wasm: &Path) -> Result<usize> {
    let module = std::fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let (module, emptied) = empty_slots(&module)?;
    std::fs::write(wasm, module).map_err(|e| format!("{}: {e}", wasm.display()))?;
    Ok(emptied)
}

fn empty_slots(module: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut invokes = HashSet::new();
    for (id, body) in wasm_binary::sections(module)? {
        if id == 0 {
            invokes.extend(invoke_functions(body)?);
        }
    }
    if invokes.is_empty() {
        return Err(
            "the wasm names no closure invoke shims: was its name section stripped?".into(),
        );
    }
    let mut emptied = 0;
    let module = wasm_binary::rewrite(module, |id, body| match id {
        9 => elements(body, &invokes, &mut emptied).map(Some),
        _ => Ok(None),
    })?;
    Ok((module, emptied))
}

/// The functions a custom section names as invoke shims, if it is the name section.
fn invoke_functions(body: &[u8]) -> Result<Vec<u64>> {
    let mut input = Reader::new(body);
    if input.name()? != b"name" {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    while !input.done() {
        let kind = input.byte()?;
        let size = input.leb()? as usize;
        let mut subsection = Reader::new(input.take(size)?);
        // Subsection 1 names the functions.
        if kind != 1 {
            continue;
        }
        for _ in 0..subsection.leb()? {
            let index = subsection.leb()?;
            if subsection.name()?.starts_with(INVOKE.as_bytes()) {
                found.push(index);
            }
        }
    }
    Ok(found)
}

/// The element section with every slot of a function in `invokes` null.
fn elements(body: &[u8], invokes: &HashSet<u64>, emptied: &mut usize) -> Result<Vec<u8>> {
    let mut input = Reader::new(body);
    let mut out = Vec::new();
    let count = input.leb()?;
    write_leb(&mut out, count);
    for _ in 0..count {
        // What rustc and wasm-bindgen write: active segments of function indices, for table 0
        // (kind 0) or a table named by index (kind 2). Either is written again with
        // expressions (kinds 4 and 6), which can say null.
        let kind = input.leb()?;
        let table = match kind {
            0 => None,
            2 => Some(input.leb()?),
            _ => return Err(format!("an element segment of kind {kind}, not 0 or 2")),
        };
        let offset = offset_expression(&mut input)?;
        write_leb(&mut out, kind + 4);
        match table {
            None => out.extend(offset),
            Some(table) => {
                if input.byte()? != 0 {
                    return Err("an element segment of something other than functions".into());
                }
                write_leb(&mut out, table);
                out.extend(offset);
                out.push(FUNCREF);
            }
        }
        let functions = input.leb()?;
        write_leb(&mut out, functions);
        for _ in 0..functions {
            let function = input.leb()?;
            if invokes.contains(&function) {
                out.extend([REF_NULL, FUNCREF, END]);
                *emptied += 1;
            } else {
                out.push(REF_FUNC);
                write_leb(&mut out, function);
                out.push(END);
            }
        }
    }
    if !input.done() {
        return Err("trailing bytes in the element section".into());
    }
    Ok(out)
}

const FUNCREF: u8 = 0x70;
const REF_NULL: u8 = 0xD0;
const REF_FUNC: u8 = 0xD2;
const END: u8 = 0x0B;
const I32_CONST: u8 = 0x41;
const GLOBAL_GET: u8 = 0x23;

/// A segment's offset, `i32.const n` or `global.get g`, with its `end`, as it is written.
fn offset_expression<'a>(input: &mut Reader<'a>) -> Result<&'a [u8]> {
    let start = input.at;
    match input.byte()? {
        I32_CONST | GLOBAL_GET => input.leb()?,
        op => return Err(format!("an element offset that starts with opcode {op:#x}")),
    };
    if input.byte()? != END {
        return Err("an element offset longer than one instruction".into());
    }
    Ok(&input.bytes()[start..input.at])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm_binary::write_name;

    /// Three functions (0 an invoke shim, 1 and 2 not) and a table segment that holds all three
    /// at offset 1, written as an element segment of `kind`.
    fn module(kind: u8, names: bool) -> Vec<u8> {
        let mut sections = vec![(1, vec![1, 0x60, 0, 0]), (3, vec![3, 0, 0, 0])];
        sections.push((4, vec![1, FUNCREF, 0, 4]));
        let mut elements = vec![1, kind];
        if kind == 2 {
            elements.push(0);
        }
        elements.extend([I32_CONST, 1, END]);
        if kind == 2 {
            elements.push(0);
        }
        elements.extend([3, 0, 1, 2]);
        sections.push((9, elements));
        sections.push((10, vec![3, 2, 0, END, 2, 0, END, 2, 0, END]));
        if names {
            let mut functions = vec![3];
            for (index, name) in [(0, format!("{INVOKE}::h0123")), (1, "drop".into())] {
                functions.push(index);
                write_name(&mut functions, name.as_bytes());
            }
            functions.push(2);
            write_name(&mut functions, b"wasm_bindgen::convert::closures::other");
            let mut custom = Vec::new();
            write_name(&mut custom, b"name");
            custom.push(1);
            write_leb(&mut custom, functions.len() as u64);
            custom.extend(functions);
            sections.push((0, custom));
        }
        wasm_binary::assemble(&sections)
    }

    fn element_section(module: &[u8]) -> Vec<u8> {
        let sections = wasm_binary::sections(module).unwrap();
        sections.iter().find(|(id, _)| *id == 9).unwrap().1.to_vec()
    }

    #[test]
    fn only_the_shims_slots_become_null() {
        let original = module(0, true);
        let (pruned, emptied) = empty_slots(&original).unwrap();
        assert_eq!(emptied, 1);
        let expected = [
            1, 4, I32_CONST, 1, END, 3, REF_NULL, FUNCREF, END, REF_FUNC, 1, END, REF_FUNC, 2, END,
        ];
        assert_eq!(element_section(&pruned), expected);
        // Everything else is as it was.
        let before = wasm_binary::sections(&original).unwrap();
        let after = wasm_binary::sections(&pruned).unwrap();
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert!(a.0 == 9 || a == b);
        }
    }

    #[test]
    fn a_segment_for_a_named_table_keeps_its_table() {
        let (pruned, emptied) = empty_slots(&module(2, true)).unwrap();
        assert_eq!(emptied, 1);
        let section = element_section(&pruned);
        assert_eq!(section[..7], [1, 6, 0, I32_CONST, 1, END, FUNCREF]);
        assert_eq!(section[7..11], [3, REF_NULL, FUNCREF, END]);
    }

    #[test]
    fn a_module_without_names_is_refused() {
        let error = empty_slots(&module(0, false)).unwrap_err();
        assert!(error.contains("name section"), "{error}");
    }
}

//! Reading and writing the parts of a wasm binary that xtask's passes touch: sections,
//! LEB128 numbers and names.

use crate::Result;

const HEADER: &[u8; 8] = b"\0asm\x01\0\0\0";

/// The module's sections, in order: each one's id and body.
pub fn sections(module: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    let body = module
        .strip_prefix(HEADER.as_slice())
        .ok_or("not a WebAssembly module")?;
    let mut input = Reader::new(body);
    let mut sections = Vec::new();
    while !input.done() {
        let id = input.byte()?;
        let size = input.leb()? as usize;
        sections.push((id, input.take(size)?));
    }
    Ok(sections)
}

/// `module` with each section's body as `change` makes it from the section's id and body; a
/// `None` keeps the body as it is.
pub fn rewrite(
    module: &[u8],
    mut change: impl FnMut(u8, &[u8]) -> Result<Option<Vec<u8>>>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (id, body) in sections(module)? {
        let changed = change(id, body)?;
        out.push((id, changed.unwrap_or_else(|| body.to_vec())));
    }
    Ok(assemble(&out))
}

/// A module of `sections`.
pub fn assemble(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    for (id, body) in sections {
        out.push(*id);
        write_leb(&mut out, body.len() as u64);
        out.extend(body);
    }
    out
}

/// Reads a wasm binary front to back.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// All the bytes read from, read or not.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let taken = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or("the wasm ends early")?;
        self.at += n;
        Ok(taken)
    }

    pub fn byte(&mut self) -> Result<u8> {
        self.take(1).map(|b| b[0])
    }

    pub fn leb(&mut self) -> Result<u64> {
        let mut value = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a number too long in the wasm".into())
    }

    pub fn name(&mut self) -> Result<&'a [u8]> {
        let len = self.leb()? as usize;
        self.take(len)
    }
}

pub fn write_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let b = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

pub fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    write_leb(out, name.len() as u64);
    out.extend(name);
}

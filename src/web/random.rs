//! The browser's cryptographically secure random numbers: `crypto.getRandomValues`, on the page
//! and in a Worker alike.

use wasm_bindgen::JsCast;

/// `N` random bytes; none where the browser has no `crypto` (no browser this SDK runs in).
pub fn bytes<const N: usize>() -> Option<[u8; N]> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let mut bytes = [0u8; N];
    crypto
        .dyn_into::<web_sys::Crypto>()
        .ok()?
        .get_random_values_with_u8_array(&mut bytes)
        .ok()?;
    Some(bytes)
}

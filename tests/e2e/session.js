// A 32-bit xorshift generator: the session test makes the same file bytes in the page (from
// this function's source) and in Node.
export function xorshift(seed) {
  let x = (seed >>> 0) || 1;
  return () => {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    return x;
  };
}

// The clock of tests/bench.rs.

export function now() {
  return performance.now();
}

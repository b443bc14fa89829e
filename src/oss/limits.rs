//! The rules OSS enforces, in one place for the SDK, the simulation its tests run against and
//! the local server (docs/protocol.md, "Multipart upload").

/// Every part but the last is at least this large (checked at Complete: `EntityTooSmall`).
pub const MIN_PART_SIZE: u64 = 100 * 1024;
/// Part numbers run from 1 to this.
pub const MAX_PARTS: u32 = 10_000;
/// No part is larger.
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// A request dated further from the server's clock is refused (`RequestTimeTooSkewed`).
pub const MAX_CLOCK_SKEW_MS: u64 = 15 * 60 * 1000;

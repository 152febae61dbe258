//! The acceptance suite lives in `main.rs` (one test binary); this library is empty on purpose.

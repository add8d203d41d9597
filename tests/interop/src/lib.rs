//! Interop test harness

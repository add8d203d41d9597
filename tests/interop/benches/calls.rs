//! Call benchmark (harness = false); filled in by the benchmark step.
fn main() {}

//! Integration tests of yiwang-dispatch (one test binary; one module per area).

mod classifier;
mod corpus;

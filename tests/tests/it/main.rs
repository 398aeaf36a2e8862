//! Integration tests against a real `docker-registry`, one module per area.

mod harness;

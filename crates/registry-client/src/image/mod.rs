//! Image operations built on the client: resolve, pull, push and copy.

//! Credentials: password hashing (argon2id off the async workers), the
//! legacy hashes accepted on import, and the database session store. The
//! extractors that gate routes and the CSRF check are HTTP and live in `web/`.

mod argon2_memory;
pub mod jwt;
pub mod legacy_hash;
pub mod password;
mod session_loads;
pub mod session_store;
pub mod token;

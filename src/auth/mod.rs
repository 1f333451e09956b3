//! People and permissions: API tokens (random, stored hashed; [`token`]), who a token signs in as
//! (cached, with audited logins; [`authenticator`]), which role may call which endpoint (the access
//! matrix, data; [`matrix`]), which warnings a scoped user may see and act on ([`scope`]), and the
//! checks on a new user's role and scope ([`user`]). The HTTP side (the guard middleware and the
//! token endpoints) is in `crate::api`.

pub mod authenticator;
pub mod matrix;
pub mod refusals;
pub mod scope;
pub mod token;
pub mod user;

pub use authenticator::{AuthError, Authenticator, SignedIn};
pub use token::IssuedToken;

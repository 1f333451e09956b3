//! The people side of the store: users and their API tokens. A token is stored only as its
//! SHA-256 hash (`crate::auth::token`); the plain token is shown once, when created.

use async_trait::async_trait;

use crate::model::{AuditDraft, DepartmentId, DistrictCode, Principal, Role, Timestamp};

use super::StoreError;

/// A user as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct UserRecord {
    /// Store-assigned id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Department (department users).
    pub department: Option<DepartmentId>,
    /// District (district users).
    pub district: Option<DistrictCode>,
    /// Clock time created.
    pub created_at: Timestamp,
}

/// A token as stored (never the token itself).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TokenRecord {
    /// Store-assigned id.
    pub id: i64,
    /// The user it signs in as.
    pub user: i64,
    /// The token's first characters, to tell tokens apart in lists.
    pub prefix: String,
    /// Clock time created.
    pub created_at: Timestamp,
    /// Clock time of the last recorded sign-in.
    pub last_used_at: Option<Timestamp>,
    /// Clock time revoked.
    pub revoked_at: Option<Timestamp>,
}

/// A user to create.
#[derive(Clone, Debug, PartialEq)]
pub struct NewUser {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Department (required for department users).
    pub department: Option<DepartmentId>,
    /// District (required for district users).
    pub district: Option<DistrictCode>,
}

/// A token to store: its hash and display prefix.
#[derive(Clone, Debug, PartialEq)]
pub struct NewToken {
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// First characters of the token.
    pub prefix: String,
}

/// Users and tokens.
#[async_trait]
pub trait AccessStore {
    /// Creates a user and a first token in one transaction, with its `token.created` audit entry.
    async fn create_user(
        &self,
        user: &NewUser,
        token: &NewToken,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<(UserRecord, TokenRecord), StoreError>;

    /// Adds a token to an existing user, with its audit entry; `None` if there is no such user.
    async fn create_token(
        &self,
        user: i64,
        token: &NewToken,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<Option<TokenRecord>, StoreError>;

    /// The user a token hash signs in as, with the token, unless revoked or unknown.
    async fn principal_by_token(
        &self,
        hash: &str,
    ) -> Result<Option<(Principal, TokenRecord)>, StoreError>;

    /// Records a sign-in: sets `last_used_at` and appends the `auth.login` entry, in one
    /// transaction.
    async fn record_login(
        &self,
        token: i64,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;

    /// Revokes a token, with its audit entry; `false` if unknown or already revoked.
    async fn revoke_token(
        &self,
        token: i64,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<bool, StoreError>;

    /// Every user, by id.
    async fn users(&self) -> Result<Vec<UserRecord>, StoreError>;

    /// Tokens (all, or one user's), by id.
    async fn tokens(&self, user: Option<i64>) -> Result<Vec<TokenRecord>, StoreError>;
}

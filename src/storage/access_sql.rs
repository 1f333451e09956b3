//! [`AccessStore`] on both backends, in plain Rust over [`Conn`], for every [`Backed`] store:
//! users and their tokens. Tokens are looked up by their SHA-256 hash only; every change to a
//! token is written with its audit entry in one transaction.

use crate::model::{AuditDraft, Principal, Timestamp};

use super::db::{Backed, Conn, Sql};
use super::workflow_rows::{
    SIGN_IN_COLUMNS, SignInRow, TOKEN_COLUMNS, TokenRow, USER_COLUMNS, UserRow,
};
use super::{AccessStore, NewToken, NewUser, StoreError, TokenRecord, UserRecord};

/// Inserts a token of `user` inside the transaction `conn` is in.
async fn insert_token(
    conn: &mut Conn<'_>,
    user: i64,
    token: &NewToken,
    at: Timestamp,
    operation: &'static str,
) -> Result<TokenRecord, StoreError> {
    let insert = Sql::new(
        "INSERT INTO api_tokens (user_id, hash, prefix, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(user)
    .bind(token.hash.as_str())
    .bind(token.prefix.as_str())
    .bind(at.millis());
    let (id,): (i64,) = conn.fetch_one(insert, operation).await?;
    Ok(TokenRecord {
        id,
        user,
        prefix: token.prefix.clone(),
        created_at: at,
        last_used_at: None,
        revoked_at: None,
    })
}

#[async_trait::async_trait]
impl<S: Backed> AccessStore for S {
    async fn create_user(
        &self,
        user: &NewUser,
        token: &NewToken,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<(UserRecord, TokenRecord), StoreError> {
        const OP: &str = "create_user";
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let insert = Sql::new(
            "INSERT INTO users (name, role, department, district, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.name.as_str())
        .bind(user.role.as_str())
        .bind(user.department.as_ref().map(|d| d.as_str()))
        .bind(user.district.as_ref().map(|d| d.as_str()))
        .bind(at.millis());
        let (id,): (i64,) = conn.fetch_one(insert, OP).await?;
        let token = insert_token(&mut conn, id, token, at, OP).await?;
        super::audit_sql::append(&mut conn, std::slice::from_ref(audit), OP).await?;
        tx.commit(OP).await?;
        let user = UserRecord {
            id,
            name: user.name.clone(),
            role: user.role,
            department: user.department.clone(),
            district: user.district.clone(),
            created_at: at,
        };
        Ok((user, token))
    }

    async fn create_token(
        &self,
        user: i64,
        token: &NewToken,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<Option<TokenRecord>, StoreError> {
        const OP: &str = "create_token";
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let exists: Option<(i64,)> = conn
            .fetch_optional(
                Sql::new("SELECT id FROM users WHERE id = $1").bind(user),
                OP,
            )
            .await?;
        if exists.is_none() {
            tx.rollback(OP).await?;
            return Ok(None);
        }
        let token = insert_token(&mut conn, user, token, at, OP).await?;
        super::audit_sql::append(&mut conn, std::slice::from_ref(audit), OP).await?;
        tx.commit(OP).await?;
        Ok(Some(token))
    }

    async fn principal_by_token(
        &self,
        hash: &str,
    ) -> Result<Option<(Principal, TokenRecord)>, StoreError> {
        const OP: &str = "principal_by_token";
        let mut pooled = self.reads().acquire(OP).await?;
        let select = Sql::new(format!(
            "SELECT {SIGN_IN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.hash = $1 AND t.revoked_at IS NULL"
        ))
        .bind(hash);
        let row: Option<SignInRow> = pooled.conn().fetch_optional(select, OP).await?;
        row.map(SignInRow::into_sign_in).transpose()
    }

    async fn record_login(
        &self,
        token: i64,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        const OP: &str = "record_login";
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let update = Sql::new("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(token)
            .bind(at.millis());
        conn.execute(update, OP).await?;
        super::audit_sql::append(&mut conn, std::slice::from_ref(audit), OP).await?;
        tx.commit(OP).await
    }

    async fn revoke_token(
        &self,
        token: i64,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<bool, StoreError> {
        const OP: &str = "revoke_token";
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let update =
            Sql::new("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(token)
                .bind(at.millis());
        if conn.execute(update, OP).await? != 1 {
            tx.rollback(OP).await?;
            return Ok(false);
        }
        super::audit_sql::append(&mut conn, std::slice::from_ref(audit), OP).await?;
        tx.commit(OP).await?;
        Ok(true)
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        const OP: &str = "users";
        let mut pooled = self.reads().acquire(OP).await?;
        let select = Sql::new(format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"));
        let rows: Vec<UserRow> = pooled.conn().fetch_all(select, OP).await?;
        rows.into_iter().map(|row| row.into_record(OP)).collect()
    }

    async fn tokens(&self, user: Option<i64>) -> Result<Vec<TokenRecord>, StoreError> {
        const OP: &str = "tokens";
        let mut pooled = self.reads().acquire(OP).await?;
        let select = match user {
            Some(user) => Sql::new(format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"
            ))
            .bind(user),
            None => Sql::new(format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"
            )),
        };
        let rows: Vec<TokenRow> = pooled.conn().fetch_all(select, OP).await?;
        Ok(rows.into_iter().map(TokenRecord::from).collect())
    }
}

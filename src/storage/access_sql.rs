//! [`AccessStore`](super::AccessStore) on both backends (a macro expanded per backend, like
//! `shared.rs`): users and their tokens. Tokens are looked up by their SHA-256 hash only; every
//! change to a token is written with its audit entry in one transaction.

/// Expands to `impl AccessStore for $store`.
macro_rules! impl_access_store {
    (store: $store:ty, database: $db:ty $(,)?) => {
        impl $store {
            /// Inserts a token for `user` inside `tx`.
            async fn insert_token(
                tx: &mut sqlx::Transaction<'static, $db>,
                user: i64,
                token: &$crate::storage::NewToken,
                at: $crate::model::Timestamp,
                operation: &'static str,
            ) -> Result<$crate::storage::TokenRecord, $crate::storage::StoreError> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO api_tokens (user_id, hash, prefix, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(user)
                .bind(token.hash.as_str())
                .bind(token.prefix.as_str())
                .bind(at.millis())
                .fetch_one(&mut **tx)
                .await
                .map_err($crate::storage::shared::query_error(operation))?;
                Ok($crate::storage::TokenRecord {
                    id,
                    user,
                    prefix: token.prefix.clone(),
                    created_at: at,
                    last_used_at: None,
                    revoked_at: None,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::AccessStore for $store {
            async fn create_user(
                &self,
                user: &$crate::storage::NewUser,
                token: &$crate::storage::NewToken,
                at: $crate::model::Timestamp,
                audit: &$crate::model::AuditDraft,
            ) -> Result<
                ($crate::storage::UserRecord, $crate::storage::TokenRecord),
                $crate::storage::StoreError,
            > {
                use $crate::storage::shared::query_error;
                const OP: &str = "create_user";
                let mut tx = self.begin_write(OP).await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (name, role, department, district, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(user.name.as_str())
                .bind(user.role.as_str())
                .bind(user.department.as_ref().map(|d| d.as_str()))
                .bind(user.district.as_ref().map(|d| d.as_str()))
                .bind(at.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(query_error(OP))?;
                let token = Self::insert_token(&mut tx, id, token, at, OP).await?;
                Self::append_audit_tx(&mut tx, std::slice::from_ref(audit), OP).await?;
                tx.commit().await.map_err(query_error(OP))?;
                let user = $crate::storage::UserRecord {
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
                token: &$crate::storage::NewToken,
                at: $crate::model::Timestamp,
                audit: &$crate::model::AuditDraft,
            ) -> Result<Option<$crate::storage::TokenRecord>, $crate::storage::StoreError> {
                use $crate::storage::shared::query_error;
                const OP: &str = "create_token";
                let mut tx = self.begin_write(OP).await?;
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                    .bind(user)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(query_error(OP))?;
                if exists.is_none() {
                    tx.rollback().await.map_err(query_error(OP))?;
                    return Ok(None);
                }
                let token = Self::insert_token(&mut tx, user, token, at, OP).await?;
                Self::append_audit_tx(&mut tx, std::slice::from_ref(audit), OP).await?;
                tx.commit().await.map_err(query_error(OP))?;
                Ok(Some(token))
            }

            async fn principal_by_token(
                &self,
                hash: &str,
            ) -> Result<
                Option<($crate::model::Principal, $crate::storage::TokenRecord)>,
                $crate::storage::StoreError,
            > {
                let sql = format!(
                    "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE t.hash = $1 AND t.revoked_at IS NULL",
                    $crate::storage::workflow_rows::SIGN_IN_COLUMNS
                );
                let row: Option<$crate::storage::workflow_rows::SignInRow> = sqlx::query_as(&sql)
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::storage::shared::query_error("principal_by_token"))?;
                row.map(|row| row.into_sign_in()).transpose()
            }

            async fn record_login(
                &self,
                token: i64,
                at: $crate::model::Timestamp,
                audit: &$crate::model::AuditDraft,
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::storage::shared::query_error;
                const OP: &str = "record_login";
                let mut tx = self.begin_write(OP).await?;
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(token)
                    .bind(at.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(OP))?;
                Self::append_audit_tx(&mut tx, std::slice::from_ref(audit), OP).await?;
                tx.commit().await.map_err(query_error(OP))
            }

            async fn revoke_token(
                &self,
                token: i64,
                at: $crate::model::Timestamp,
                audit: &$crate::model::AuditDraft,
            ) -> Result<bool, $crate::storage::StoreError> {
                use $crate::storage::shared::query_error;
                const OP: &str = "revoke_token";
                let mut tx = self.begin_write(OP).await?;
                let revoked = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(token)
                .bind(at.millis())
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?
                .rows_affected();
                if revoked != 1 {
                    tx.rollback().await.map_err(query_error(OP))?;
                    return Ok(false);
                }
                Self::append_audit_tx(&mut tx, std::slice::from_ref(audit), OP).await?;
                tx.commit().await.map_err(query_error(OP))?;
                Ok(true)
            }

            async fn users(
                &self,
            ) -> Result<Vec<$crate::storage::UserRecord>, $crate::storage::StoreError> {
                const OP: &str = "users";
                let sql = format!(
                    "SELECT {} FROM users ORDER BY id",
                    $crate::storage::workflow_rows::USER_COLUMNS
                );
                let rows: Vec<$crate::storage::workflow_rows::UserRow> = sqlx::query_as(&sql)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::storage::shared::query_error(OP))?;
                rows.into_iter().map(|row| row.into_record(OP)).collect()
            }

            async fn tokens(
                &self,
                user: Option<i64>,
            ) -> Result<Vec<$crate::storage::TokenRecord>, $crate::storage::StoreError> {
                use $crate::storage::workflow_rows::{TOKEN_COLUMNS, TokenRow};
                let rows: Vec<TokenRow> =
                    match user {
                        Some(user) => sqlx::query_as(&format!(
                            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"
                        ))
                        .bind(user)
                        .fetch_all(&self.pool)
                        .await,
                        None => {
                            sqlx::query_as(&format!(
                                "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"
                            ))
                            .fetch_all(&self.pool)
                            .await
                        }
                    }
                    .map_err($crate::storage::shared::query_error("tokens"))?;
                Ok(rows
                    .into_iter()
                    .map($crate::storage::TokenRecord::from)
                    .collect())
            }
        }
    };
}

pub(super) use impl_access_store;

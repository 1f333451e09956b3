//! Who a bearer token signs in as. Lookups go to the store by the token's hash and are cached in
//! memory for [`Authenticator::TTL`], so ingest does not pay a store read per request. Revoking a
//! token through this process ([`Authenticator::evict_token`]) takes effect at once; a revoke from
//! another process (`tocsin token revoke`, another node) takes effect here within the TTL, when
//! the cached entry goes stale and the store is asked again.
//!
//! Bad tokens cost no store read: a token without our shape (`tcs_` and 64 hex digits) is refused
//! at once, and the hash of a well-shaped token the store did not know is remembered for
//! [`Authenticator::TTL`] in a bounded negative cache ([`RefusedTokens`]).
//!
//! Every sign-in is audited: `auth.login` on a token's first use, then at most once per
//! [`Authenticator::LOGIN_EVERY`] per token (the store's `last_used_at` carries this across
//! restarts).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::model::time::duration_millis;
use crate::model::{Actor, AuditAction, AuditDraft, Clock, GenerationId, Principal, Timestamp};
use crate::storage::{Store, StoreError};

use super::refusals::RefusedTokens;
use super::token;

/// A token that signed in.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedIn {
    /// The user.
    pub principal: Principal,
    /// The token's store id.
    pub token: i64,
    /// The token's displayed prefix.
    pub prefix: String,
}

/// Why a token does not sign in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No such token, or it was revoked.
    #[error("unknown or revoked token")]
    Unknown,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A cached sign-in.
#[derive(Clone, Debug)]
struct Entry {
    signed_in: SignedIn,
    /// When the store was last asked (clock time).
    fetched_at: Timestamp,
    /// The last recorded (or being recorded) `auth.login`.
    last_login: Option<Timestamp>,
}

/// The cache and its eviction counter, under one lock.
#[derive(Debug, Default)]
struct Cache {
    /// By token hash (the plain token is never kept).
    entries: HashMap<String, Entry>,
    /// Bumped by every eviction, so a lookup that raced with a revoke does not re-cache.
    evictions: u64,
    /// Hashes of tokens the store did not know, recently.
    refused: RefusedTokens,
    /// Token lookups sent to the store.
    lookups: u64,
}

/// Resolves bearer tokens to principals, with a short-lived cache; cheap to share.
#[derive(Debug)]
pub struct Authenticator {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    cache: Mutex<Cache>,
}

impl Authenticator {
    /// How long a lookup is trusted: the longest a token revoked by another process keeps working
    /// here.
    pub const TTL: Duration = Duration::from_secs(30);

    /// Least time between two `auth.login` entries of one token.
    pub const LOGIN_EVERY: Duration = Duration::from_secs(3600);

    /// Most cached tokens; beyond it stale entries are dropped, then nothing more is cached.
    const CAPACITY: usize = 10_000;

    /// An authenticator over `store`, timing the cache and logins with `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Authenticator {
        Authenticator::with_ttl(store, clock, Authenticator::TTL)
    }

    /// Like [`Authenticator::new`] with another cache lifetime (`Duration::ZERO`: no cache).
    pub fn with_ttl(store: Arc<dyn Store>, clock: Arc<dyn Clock>, ttl: Duration) -> Authenticator {
        Authenticator {
            store,
            clock,
            ttl,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Signs `secret` in: from the cache when fresh, else from the store. Records `auth.login`
    /// when due, under `generation`.
    pub async fn authenticate(
        &self,
        secret: &str,
        generation: Option<&GenerationId>,
    ) -> Result<SignedIn, AuthError> {
        if token::prefix_of(secret).is_none() || !is_hex_token(secret) {
            // Not one of ours: no store holds it.
            return Err(AuthError::Unknown);
        }
        let hash = token::hash(secret);
        let now = self.clock.now();
        let ttl = duration_millis(self.ttl);
        let (signed_in, login_due) = {
            let mut cache = self.lock();
            if self.ttl > Duration::ZERO && cache.refused.recently_refused(&hash, now, self.ttl) {
                return Err(AuthError::Unknown);
            }
            match cache.entries.get_mut(&hash) {
                Some(entry)
                    if now.millis() >= entry.fetched_at.millis()
                        && now.millis() - entry.fetched_at.millis() < ttl =>
                {
                    let due = login_due(entry.last_login, now);
                    if due {
                        entry.last_login = Some(now);
                    }
                    (Some(entry.signed_in.clone()), due)
                }
                _ => (None, false),
            }
        };
        let signed_in = match signed_in {
            Some(signed_in) => signed_in,
            None => return self.fetch(hash, now, generation).await,
        };
        if login_due {
            self.record_login_or_retry(&hash, &signed_in, now, generation)
                .await?;
        }
        Ok(signed_in)
    }

    /// Forgets a token at once (after revoking it).
    pub fn evict_token(&self, token: i64) {
        let mut cache = self.lock();
        cache
            .entries
            .retain(|_, entry| entry.signed_in.token != token);
        cache.evictions += 1;
    }

    /// Token lookups this authenticator sent to the store so far (refused tokens that were
    /// answered from the negative cache or refused by their shape are not among them).
    pub fn store_lookups(&self) -> u64 {
        self.lock().lookups
    }

    /// Asks the store, caches the answer, records a login when due.
    async fn fetch(
        &self,
        hash: String,
        now: Timestamp,
        generation: Option<&GenerationId>,
    ) -> Result<SignedIn, AuthError> {
        let evictions = {
            let mut cache = self.lock();
            cache.lookups += 1;
            cache.evictions
        };
        let Some((principal, record)) = self.store.principal_by_token(&hash).await? else {
            let mut cache = self.lock();
            cache.entries.remove(&hash);
            if self.ttl > Duration::ZERO {
                cache.refused.remember(hash, now);
            }
            return Err(AuthError::Unknown);
        };
        let signed_in = SignedIn {
            principal,
            token: record.id,
            prefix: record.prefix,
        };
        let login = {
            let mut cache = self.lock();
            // A login recorded by a concurrent request of this process counts too.
            let last_login = match cache.entries.get(&hash) {
                Some(entry) => later(entry.last_login, record.last_used_at),
                None => record.last_used_at,
            };
            let due = login_due(last_login, now);
            let entry = Entry {
                signed_in: signed_in.clone(),
                fetched_at: now,
                last_login: if due { Some(now) } else { last_login },
            };
            if cache.evictions == evictions && self.ttl > Duration::ZERO {
                if cache.entries.len() >= Authenticator::CAPACITY {
                    let ttl = duration_millis(self.ttl);
                    cache
                        .entries
                        .retain(|_, entry| now.millis() - entry.fetched_at.millis() < ttl);
                }
                if cache.entries.len() < Authenticator::CAPACITY {
                    cache.entries.insert(hash.clone(), entry);
                }
            }
            due
        };
        if login {
            self.record_login_or_retry(&hash, &signed_in, now, generation)
                .await?;
        }
        Ok(signed_in)
    }

    /// Records a login; when that fails, the next request of the token tries again (the failure
    /// goes to the caller, so no sign-in goes unaudited).
    async fn record_login_or_retry(
        &self,
        hash: &str,
        signed_in: &SignedIn,
        at: Timestamp,
        generation: Option<&GenerationId>,
    ) -> Result<(), AuthError> {
        let recorded = self.record_login(signed_in, at, generation).await;
        if recorded.is_err()
            && let Some(entry) = self.lock().entries.get_mut(hash)
        {
            entry.last_login = None;
        }
        recorded
    }

    /// Appends `auth.login` and sets the token's `last_used_at`.
    async fn record_login(
        &self,
        signed_in: &SignedIn,
        at: Timestamp,
        generation: Option<&GenerationId>,
    ) -> Result<(), AuthError> {
        let actor = Actor::user(&signed_in.principal);
        let draft = AuditDraft {
            at,
            actor: actor.id,
            action: AuditAction::Login,
            warning: None,
            generation: generation.cloned(),
            subject: format!("token:{}", signed_in.prefix),
            detail: serde_json::json!({
                "token": signed_in.token,
                "prefix": signed_in.prefix,
                "role": signed_in.principal.role,
            }),
        };
        self.store
            .record_login(signed_in.token, at, &draft)
            .await
            .map_err(AuthError::from)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache holds no invariant a panicking holder could break half-way.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// True when a login is to be recorded: never recorded, or the last one is an hour old (or in the
/// future, after the clock was set back).
fn login_due(last: Option<Timestamp>, now: Timestamp) -> bool {
    match last {
        None => true,
        Some(last) => {
            let age = now.millis() - last.millis();
            !(0..duration_millis(Authenticator::LOGIN_EVERY)).contains(&age)
        }
    }
}

/// True when everything after the marker is lower-case hex, as in every token we issue.
fn is_hex_token(secret: &str) -> bool {
    secret
        .get(token::MARKER.len()..)
        .is_some_and(|rest| rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

fn later(one: Option<Timestamp>, two: Option<Timestamp>) -> Option<Timestamp> {
    one.max(two)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_due_hourly() {
        let at = |s: i64| Timestamp(1_000_000 + s * 1000);
        assert!(login_due(None, at(0)));
        assert!(!login_due(Some(at(0)), at(0)));
        assert!(!login_due(Some(at(0)), at(3599)));
        assert!(login_due(Some(at(0)), at(3600)));
        assert!(login_due(Some(at(10)), at(0)));
        assert_eq!(later(Some(at(1)), Some(at(2))), Some(at(2)));
        assert_eq!(later(None, Some(at(2))), Some(at(2)));
        assert_eq!(later(Some(at(3)), None), Some(at(3)));
    }

    #[test]
    fn only_our_token_shape_is_looked_up() {
        let ours = format!("tcs_{}", "0123456789abcdef".repeat(4));
        assert!(is_hex_token(&ours));
        assert!(token::prefix_of(&ours).is_some());
        assert!(!is_hex_token(&format!("tcs_{}", "G".repeat(64))));
        assert!(!is_hex_token(&format!("tcs_{}", "A".repeat(64))));
    }
}

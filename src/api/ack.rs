//! Acknowledgment links (确认链接, `crate::notify::ack`): `GET /ack/{token}` shows a small HTML
//! page (the warning, its level and place, who the link is for) with a confirm button and changes
//! nothing, so link-preview bots and mail scanners that fetch the link do no harm;
//! `POST /ack/{token}` acknowledges (签收) the warning's case as that person through the duty
//! desk (the workflow's `acknowledge` action; the audit names `person:<who>` with
//! `means: ack_link`) and shows the result. No bearer token: the signed token is the credential.
//! Invalid, expired and used links get a page with a stable code (or `{code, message}` when the
//! client asks for JSON); refusals are rate-limited like refused bearer tokens.
//!
//! These routes sit outside the guard and outside the JSON error reshaping of the API.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::ApiError;
use crate::auth::refusals::{RefusalBudget, Verdict};
use crate::error::ErrorCode;
use crate::model::{DepartmentId, Principal};
use crate::notify::ack::{self, AckClaim, AckError};
use crate::notify::settings::AckSettings;
use crate::storage::{AckUse, WarningRecord};
use crate::workflow::ActionRequest;
use crate::workflow::message::grade_cn;

/// The largest body read from a confirmation (the form sends none).
const BODY_LIMIT: usize = 4 * 1024;

/// What the ack routes share.
#[derive(Clone, Debug)]
pub(crate) struct AckState {
    /// The API's state (store, clock, desk, generation).
    app: AppState,
    /// Where the key comes from (`notify.ack.secret`, else the store).
    settings: Arc<AckSettings>,
    /// How many refused links may still be answered in detail.
    failures: Arc<Mutex<RefusalBudget>>,
    /// The key, once read (a generated key is read from the store once, not per request).
    key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
}

/// The ack routes, with the key settings of the deployment.
pub(crate) fn routes<S>(app: AppState, settings: Arc<AckSettings>) -> Router<S> {
    Router::new()
        .route("/ack/{token}", get(page).post(confirm))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(AckState {
            app,
            settings,
            failures: Arc::new(Mutex::new(RefusalBudget::new(
                RefusalBudget::PER_MINUTE,
                RefusalBudget::BURST,
            ))),
            key: Arc::default(),
        })
}

/// Whether the client asked for JSON.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The stable code of a refused link.
fn code_of(error: &AckError) -> ErrorCode {
    match error {
        AckError::Invalid => ErrorCode::AckLinkInvalid,
        AckError::Expired(_) => ErrorCode::AckLinkExpired,
        AckError::Used => ErrorCode::AckLinkUsed,
    }
}

/// `&`, `<`, `>`, `"` and `'` escaped for HTML text and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: `title`, then `inner` (already escaped HTML).
fn html(status: StatusCode, title: &str, inner: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}}\
         dt{{font-weight:bold}}button{{font-size:1.2em;padding:.5em 2em}}</style></head>\
         <body><h1>{t}</h1>\n{inner}\n</body></html>\n",
        t = escape(title)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

/// An error as the client wants it: `{code, message}` or a page saying it.
fn refusal(json: bool, error: ApiError) -> Response {
    if json {
        return error.into_response();
    }
    let status =
        StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    html(
        status,
        "无法使用此确认链接 Link not usable",
        &format!(
            "<p>{}</p><p>错误代码 Code: <code>{}</code></p>\
             <p>请到值班台或电话签收。 Please acknowledge at the duty desk or by phone.</p>",
            escape(&error.message),
            error.code.as_str()
        ),
    )
}

impl AckState {
    /// Counts a refused link: its own answer within the budget, else `ack_link_rate_limited`.
    fn refuse(&self, error: &AckError) -> ApiError {
        let now = self.app.clock.now();
        let verdict = self
            .failures
            .lock()
            .map(|mut budget| budget.admit(now))
            .unwrap_or(Verdict::CountOnly);
        tracing::info!(code = error.code(), "acknowledgment link refused");
        match verdict {
            Verdict::Write { .. } => ApiError::new(code_of(error), error.to_string()),
            Verdict::CountOnly => ApiError::new(
                ErrorCode::AckLinkRateLimited,
                "too many refused acknowledgment links; try again in a minute",
            ),
        }
    }

    /// The claim of a genuine, unexpired, unused token.
    async fn check(&self, token: &str) -> Result<AckClaim, ApiError> {
        let now = self.app.clock.now();
        let key = self
            .key
            .get_or_try_init(|| ack::key(&self.settings, &*self.app.store, now))
            .await?;
        let claim = ack::verify(key, token, now).map_err(|e| self.refuse(&e))?;
        if self
            .app
            .store
            .ack_token_used_at(&ack::digest(token))
            .await?
            .is_some()
        {
            return Err(self.refuse(&AckError::Used));
        }
        Ok(claim)
    }

    /// The warning a claim names.
    async fn warning(&self, claim: &AckClaim) -> Result<WarningRecord, ApiError> {
        match self.app.store.warning(claim.warning).await? {
            Some(detail) => Ok(detail.warning),
            None => Err(ApiError::not_found(format!(
                "warning {} no longer exists",
                claim.warning
            ))),
        }
    }
}

/// What a link is about, in the domain's words.
#[derive(Debug, serde::Serialize)]
struct About {
    /// The warning.
    warning: i64,
    /// `red` .. `blue`.
    level: &'static str,
    /// `红色（一级）`.
    level_cn: String,
    /// An exercise (演练).
    drill: bool,
    /// The hazard.
    hazard: String,
    /// The asset's name.
    asset: String,
    /// The district's name.
    district: String,
    /// The domain's name.
    domain: String,
    /// The stage the case is in.
    stage: Option<String>,
    /// Who the link is for.
    person: String,
    /// Until when it works.
    expires_at: String,
}

impl AckState {
    /// The facts shown for a claim.
    fn about(&self, claim: &AckClaim, warning: &WarningRecord) -> About {
        let generation = self.app.generation();
        let person = generation.department(&claim.person).map_or_else(
            || claim.person.clone(),
            |d| format!("{}（{}）", d.name, claim.person),
        );
        About {
            warning: warning.id,
            level: warning.level.as_str(),
            level_cn: format!(
                "{}（{}）",
                warning.level.colour_cn(),
                grade_cn(warning.level)
            ),
            drill: warning.drill,
            hazard: warning.hazard.to_string(),
            asset: generation
                .asset(warning.asset.as_str())
                .map_or_else(|| warning.asset.to_string(), |a| a.name.clone()),
            district: generation
                .district(warning.district.as_str())
                .map_or_else(|| warning.district.to_string(), |d| d.name.clone()),
            domain: generation
                .domain(warning.domain.as_str())
                .map_or_else(|| warning.domain.to_string(), |d| d.name_cn.clone()),
            stage: warning.case.as_ref().map(|c| c.stage.to_string()),
            person,
            expires_at: claim.expires_at.to_rfc3339(),
        }
    }
}

/// The facts as an HTML list.
fn facts_html(about: &About) -> String {
    let mut out = String::from("<dl>");
    let drill = if about.drill {
        "【演练】 exercise"
    } else {
        ""
    };
    for (label, value) in [
        ("预警 Warning", format!("w{} {drill}", about.warning)),
        ("级别 Level", format!("{} {}", about.level_cn, about.level)),
        ("风险 Hazard", about.hazard.clone()),
        ("对象 Asset", about.asset.clone()),
        ("区域 District", about.district.clone()),
        ("领域 Domain", about.domain.clone()),
        (
            "环节 Stage",
            about.stage.clone().unwrap_or_else(|| "-".to_owned()),
        ),
        ("本链接发给 For", about.person.clone()),
        ("有效期至 Valid until", about.expires_at.clone()),
    ] {
        let _ = write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            escape(label),
            escape(value.trim())
        );
    }
    out.push_str("</dl>");
    out
}

/// Shows what the link acknowledges, with a button; changes nothing.
pub(crate) async fn page(
    State(state): State<AckState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let shown = async {
        let claim = state.check(&token).await?;
        let warning = state.warning(&claim).await?;
        Ok::<_, ApiError>(state.about(&claim, &warning))
    }
    .await;
    match shown {
        Err(error) => refusal(json, error),
        Ok(about) if json => axum::Json(about).into_response(),
        Ok(about) => html(
            StatusCode::OK,
            "确认签收预警 Acknowledge warning",
            &format!(
                "{}<form method=\"post\" action=\"/ack/{}\">\
                 <button type=\"submit\">确认签收 Acknowledge</button></form>\
                 <p>点击即以上述接收人身份签收，本链接仅可使用一次。 \
                 Pressing the button acknowledges as the recipient above; the link works once.</p>",
                facts_html(&about),
                escape(&token)
            ),
        ),
    }
}

/// The answer to a confirmation.
#[derive(Debug, serde::Serialize)]
struct Acknowledged {
    /// Always true.
    acknowledged: bool,
    /// The warning.
    warning: i64,
    /// The stage the case is in now.
    stage: String,
    /// Who acknowledged (`person:<who>` in the audit).
    by: String,
}

/// Acknowledges the warning as the link's person, once.
pub(crate) async fn confirm(
    State(state): State<AckState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    match acknowledge(&state, &token).await {
        Err(error) => refusal(json, error),
        Ok((answer, _)) if json => axum::Json(answer).into_response(),
        Ok((answer, about)) => html(
            StatusCode::OK,
            "已签收 Acknowledged",
            &format!(
                "<p>已签收，请按要求尽快到场处置。 Acknowledged; please proceed as required.</p>\
                 {}<p>当前环节 Stage now: <code>{}</code></p>",
                facts_html(&about),
                escape(&answer.stage)
            ),
        ),
    }
}

/// Marks the token used, then takes the `acknowledge` action; a failed action releases the
/// token again (the link still works once the trouble is over).
async fn acknowledge(state: &AckState, token: &str) -> Result<(Acknowledged, About), ApiError> {
    let claim = state.check(token).await?;
    let digest = ack::digest(token);
    let first = state
        .app
        .store
        .use_ack_token(AckUse {
            digest: &digest,
            outbox: claim.outbox,
            warning: claim.warning,
            person: &claim.person,
            at: state.app.clock.now(),
        })
        .await?;
    if !first {
        return Err(state.refuse(&AckError::Used));
    }
    let principal = Principal::through_link(&claim.person, DepartmentId::new(claim.person.clone()));
    let request = ActionRequest {
        action: "acknowledge".to_owned(),
        note: Some(format!(
            "经消息确认链接签收 acknowledged through the message link (outbox {})",
            claim.outbox
        )),
        evidence: Vec::new(),
    };
    let acted = state
        .app
        .desk
        .act(claim.warning, &principal, &request)
        .await;
    let case = match acted {
        Ok(case) => case,
        Err(error) => {
            if let Err(release) = state.app.store.release_ack_token(&digest).await {
                tracing::warn!(%release, "cannot release an acknowledgment link after a failed action");
            }
            return Err(ApiError::from(error));
        }
    };
    let warning = state.warning(&claim).await?;
    let about = state.about(&claim, &warning);
    Ok((
        Acknowledged {
            acknowledged: true,
            warning: claim.warning,
            stage: case.stage.to_string(),
            by: format!("person:{}", claim.person),
        },
        about,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("南京南街"), "南京南街");
    }

    #[test]
    fn every_refusal_has_its_code_and_status() {
        let table = [
            (AckError::Invalid, "ack_link_invalid", 400),
            (AckError::Expired("t".into()), "ack_link_expired", 410),
            (AckError::Used, "ack_link_used", 409),
        ];
        for (error, code, status) in table {
            assert_eq!(code_of(&error).as_str(), code);
            assert_eq!(error.code(), code);
            assert_eq!(code_of(&error).http_status(), status);
        }
    }
}

//! Every error answer has the API's error shape. Handlers answer through [`ApiError`]; what the
//! framework answers by itself (an extractor's rejection, a body limit, a 400 or 431 with an empty
//! or plain-text body) is rewritten here, as the outermost layer, into `{code, message}` JSON with
//! the same status and headers. The code follows the status ([`code_for`]); the message is the
//! framework's text when there is one (cut to [`MESSAGE_LIMIT`] bytes), else the status's reason.
//!
//! Answers the HTTP server writes before any router runs (a request line or header block it
//! cannot parse) never reach this layer.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::refusals::bounded_text;
use crate::error::ErrorCode;

/// Most bytes of a framework message kept.
pub(crate) const MESSAGE_LIMIT: usize = 512;

/// Most bytes of a framework error body read back.
const READ_LIMIT: usize = 16 * 1024;

/// The code of an error answer the framework made with `status`.
pub(crate) fn code_for(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::BodyTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        431 => ErrorCode::HeadersTooLarge,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        503 => ErrorCode::StoreUnavailable,
        500..=599 => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    }
}

/// The middleware: error answers that are not JSON become `{code, message}`.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, READ_LIMIT)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("request refused")
                .to_owned()
        });
    let code = code_for(status);
    let message = bounded_text(&text, MESSAGE_LIMIT);
    let body = serde_json::json!({"code": code, "message": message}).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;
    use crate::api::error::ApiError;

    #[test]
    fn codes_follow_the_status() {
        let table = [
            (400, ErrorCode::BadRequest),
            (422, ErrorCode::BadRequest),
            (404, ErrorCode::NotFound),
            (413, ErrorCode::BodyTooLarge),
            (431, ErrorCode::HeadersTooLarge),
            (500, ErrorCode::Internal),
        ];
        for (status, code) in table {
            assert_eq!(code_for(StatusCode::from_u16(status).unwrap()), code);
        }
    }

    async fn answer(router: &Router, uri: &str) -> (StatusCode, Option<String>, serde_json::Value) {
        let response = router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, retry, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn empty_and_plain_error_answers_get_the_error_shape() {
        let router = Router::new()
            .route("/empty", get(|| async { StatusCode::BAD_REQUEST }))
            .route(
                "/headers",
                get(|| async { StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE }),
            )
            .route(
                "/plain",
                get(|| async {
                    (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        [(header::RETRY_AFTER, "3")],
                        "length limit exceeded",
                    )
                }),
            )
            .route(
                "/api",
                get(|| async { ApiError::bad_query("`limit` must be ...") }),
            )
            .layer(axum::middleware::from_fn(json_errors));
        let (status, _, body) = answer(&router, "/empty").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            serde_json::json!({"code": "bad_request", "message": "Bad Request"})
        );
        let (status, _, body) = answer(&router, "/headers").await;
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(body["code"], "headers_too_large");
        let (status, retry, body) = answer(&router, "/plain").await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(retry.as_deref(), Some("3"));
        assert_eq!(
            body,
            serde_json::json!({"code": "body_too_large", "message": "length limit exceeded"})
        );
        let (_, _, body) = answer(&router, "/api").await;
        assert_eq!(body["code"], "bad_query");
    }
}

//! Tencent Cloud API 3.0: the `TC3-HMAC-SHA256` signature (signature method v3) and the SMS
//! `SendSms` request (API version 2021-01-11). Requests are `POST /` with a JSON body; the common
//! parameters travel as `X-TC-*` headers.

use super::crypto::{hmac_sha256, sha256_hex};
use super::{HttpRequest, SignError, utc};

/// The content type TC3 requests are signed and sent with.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// The SMS endpoint host.
pub const SMS_HOST: &str = "sms.tencentcloudapi.com";
/// The SMS API version.
pub const SMS_VERSION: &str = "2021-01-11";
/// Most phone numbers one `SendSms` request takes.
pub const SMS_MAX_NUMBERS: usize = 200;

/// A Tencent Cloud key pair.
#[derive(Clone)]
pub struct Credentials {
    /// `SecretId` (shown in the Authorization header).
    pub secret_id: String,
    /// `SecretKey` (never sent).
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// One API call: which service and action, and its JSON payload.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    /// Service name, the host's first label (`cvm`, `sms`).
    pub service: &'a str,
    /// Endpoint host, e.g. `sms.tencentcloudapi.com`.
    pub host: &'a str,
    /// `X-TC-Action`.
    pub action: &'a str,
    /// `X-TC-Version`.
    pub version: &'a str,
    /// `X-TC-Region`, when the API takes one.
    pub region: Option<&'a str>,
    /// The exact JSON body sent (the signature covers these bytes).
    pub payload: &'a str,
}

/// The intermediate values of a TC3 signature, as the documentation shows them step by step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tc3 {
    /// Step 1: the canonical request.
    pub canonical_request: String,
    /// Step 2: the string to sign.
    pub string_to_sign: String,
    /// Step 3: the hex signature.
    pub signature: String,
    /// Step 4: the `Authorization` header value.
    pub authorization: String,
}

/// Signs `call` at `timestamp` (Unix seconds) with `credentials`, signing `content-type` and
/// `host` as the documentation's example does.
pub fn sign(credentials: &Credentials, call: &Call<'_>, timestamp: i64) -> Result<Tc3, SignError> {
    let date = date(timestamp)?;
    let signed_headers = "content-type;host";
    let canonical_request = format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{}\n\n{signed_headers}\n{}",
        call.host,
        sha256_hex(call.payload.as_bytes())
    );
    let scope = format!("{date}/{}/tc3_request", call.service);
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let secret_date = hmac_sha256(
        format!("TC3{}", credentials.secret_key).as_bytes(),
        date.as_bytes(),
    );
    let secret_service = hmac_sha256(&secret_date, call.service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    let signature = hex::encode(hmac_sha256(&secret_signing, string_to_sign.as_bytes()));
    let authorization = format!(
        "TC3-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.secret_id
    );
    Ok(Tc3 {
        canonical_request,
        string_to_sign,
        signature,
        authorization,
    })
}

/// The complete signed request for `call` at `timestamp`.
pub fn request(
    credentials: &Credentials,
    call: &Call<'_>,
    timestamp: i64,
) -> Result<HttpRequest, SignError> {
    let signed = sign(credentials, call, timestamp)?;
    let mut headers = vec![
        ("Authorization".to_owned(), signed.authorization),
        ("Content-Type".to_owned(), CONTENT_TYPE.to_owned()),
        ("Host".to_owned(), call.host.to_owned()),
        ("X-TC-Action".to_owned(), call.action.to_owned()),
        ("X-TC-Timestamp".to_owned(), timestamp.to_string()),
        ("X-TC-Version".to_owned(), call.version.to_owned()),
    ];
    if let Some(region) = call.region {
        headers.push(("X-TC-Region".to_owned(), region.to_owned()));
    }
    Ok(HttpRequest {
        method: "POST",
        url: format!("https://{}/", call.host),
        headers,
        body: call.payload.to_owned(),
    })
}

/// A templated text message (Tencent sends only pre-approved templates).
#[derive(Clone, Debug)]
pub struct Sms<'a> {
    /// `SmsSdkAppId` of the SMS application.
    pub sdk_app_id: &'a str,
    /// Approved signature name (签名), shown as `【name】`.
    pub sign_name: &'a str,
    /// Approved template id.
    pub template_id: &'a str,
    /// Template parameters in template order.
    pub params: &'a [String],
    /// Numbers in E.164 (`+8613711112222`).
    pub phone_numbers: &'a [String],
    /// `SessionContext`: echoed back in receipts; Tocsin puts the idempotency key here.
    pub session_context: &'a str,
    /// Region, `ap-guangzhou` for mainland China.
    pub region: &'a str,
}

/// The signed `SendSms` request.
pub fn send_sms(
    credentials: &Credentials,
    sms: &Sms<'_>,
    timestamp: i64,
) -> Result<HttpRequest, SignError> {
    check_numbers(sms.phone_numbers.len(), SMS_MAX_NUMBERS)?;
    let payload = serde_json::json!({
        "PhoneNumberSet": sms.phone_numbers,
        "SmsSdkAppId": sms.sdk_app_id,
        "SignName": sms.sign_name,
        "TemplateId": sms.template_id,
        "TemplateParamSet": sms.params,
        "SessionContext": sms.session_context,
    })
    .to_string();
    request(
        credentials,
        &Call {
            service: "sms",
            host: SMS_HOST,
            action: "SendSms",
            version: SMS_VERSION,
            region: Some(sms.region),
            payload: &payload,
        },
        timestamp,
    )
}

/// At least one and at most `max` numbers.
pub(super) fn check_numbers(count: usize, max: usize) -> Result<(), SignError> {
    match count {
        0 => Err(SignError::NoRecipient),
        n if n > max => Err(SignError::TooManyRecipients { count: n, max }),
        _ => Ok(()),
    }
}

/// `YYYY-MM-DD` (UTC) of `timestamp`.
fn date(timestamp: i64) -> Result<String, SignError> {
    let at = utc(timestamp)?;
    Ok(format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Tencent Cloud's "Signature v3" page (CVM DescribeInstances in
    /// Guangzhou, timestamp 1551113065). The page masks the keys with `*******` and computes
    /// its published values from the masked strings themselves, so they are used verbatim.
    fn documented() -> (Credentials, &'static str) {
        (
            Credentials {
                secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******".to_owned(),
                secret_key: "Gu5t9xGARNpq86cd98joQYCN3*******".to_owned(),
            },
            r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#,
        )
    }

    #[test]
    fn reproduces_the_documented_worked_example() {
        let (credentials, payload) = documented();
        let call = Call {
            service: "cvm",
            host: "cvm.tencentcloudapi.com",
            action: "DescribeInstances",
            version: "2017-03-12",
            region: Some("ap-guangzhou"),
            payload,
        };
        let signed = sign(&credentials, &call, 1_551_113_065).expect("signs");
        assert_eq!(
            signed.canonical_request,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            signed.string_to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            signed.signature,
            "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
        assert_eq!(
            signed.authorization,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
        let request = request(&credentials, &call, 1_551_113_065).expect("builds");
        assert_eq!(request.url, "https://cvm.tencentcloudapi.com/");
        assert_eq!(request.header("x-tc-timestamp"), Some("1551113065"));
        assert_eq!(request.header("X-TC-Region"), Some("ap-guangzhou"));
        assert_eq!(request.body, payload);
    }

    #[test]
    fn send_sms_carries_template_numbers_and_idempotency_key() {
        let (credentials, _) = documented();
        let params = vec!["橙色".to_owned(), "和平区".to_owned()];
        let numbers = vec!["+8613711112222".to_owned()];
        let sms = Sms {
            sdk_app_id: "1400006666",
            sign_name: "沈阳应急",
            template_id: "1110",
            params: &params,
            phone_numbers: &numbers,
            session_context: "msg-42-attempt-key",
            region: "ap-guangzhou",
        };
        let request = send_sms(&credentials, &sms, 1_551_113_065).expect("builds");
        assert_eq!(request.header("X-TC-Action"), Some("SendSms"));
        assert_eq!(request.header("X-TC-Version"), Some("2021-01-11"));
        let body: serde_json::Value = serde_json::from_str(&request.body).expect("json");
        assert_eq!(body["PhoneNumberSet"][0], "+8613711112222");
        assert_eq!(body["TemplateParamSet"][1], "和平区");
        assert_eq!(body["SessionContext"], "msg-42-attempt-key");
        // The signature covers exactly the body that is sent.
        let again = sign(
            &credentials,
            &Call {
                service: "sms",
                host: SMS_HOST,
                action: "SendSms",
                version: SMS_VERSION,
                region: Some("ap-guangzhou"),
                payload: &request.body,
            },
            1_551_113_065,
        )
        .expect("signs");
        assert_eq!(
            request.header("Authorization"),
            Some(again.authorization.as_str())
        );
    }

    #[test]
    fn refuses_no_numbers_and_too_many() {
        let (credentials, _) = documented();
        let too_many: Vec<String> = (0..201).map(|i| format!("+86137{i:08}")).collect();
        for (numbers, code) in [
            (Vec::new(), "no_recipient"),
            (too_many, "too_many_recipients"),
        ] {
            let sms = Sms {
                sdk_app_id: "1",
                sign_name: "s",
                template_id: "t",
                params: &[],
                phone_numbers: &numbers,
                session_context: "k",
                region: "ap-guangzhou",
            };
            let error = send_sms(&credentials, &sms, 0).expect_err("refused");
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn debug_never_shows_the_secret_key() {
        let (credentials, _) = documented();
        assert!(!format!("{credentials:?}").contains("Gu5t9x"));
    }
}

//! Alibaba Cloud request signatures and the two requests Tocsin sends there.
//!
//! - Signature V2 for RPC APIs: sorted, POP-encoded parameters, `METHOD&%2F&encode(query)`,
//!   HMAC-SHA1 keyed by `AccessKeySecret&`, base64 ([`rpc_v2_signature`], [`rpc_v2_query`]).
//! - Signature V3, `ACS3-HMAC-SHA256`: canonical request over method, path, query, the `host`
//!   and `x-acs-*` headers and the body's SHA-256; HMAC-SHA256 keyed by the raw secret, hex
//!   ([`acs3`]). The builders use V3, which the provider recommends.
//! - SMS `SendSms` (API 2017-05-25) and voice notification `SingleCallByTts` (API 2017-05-25),
//!   both RPC APIs whose parameters travel in the query string; `OutId` carries Tocsin's
//!   idempotency key.

use std::fmt::Write as _;

use super::crypto::{base64, hmac_sha1, hmac_sha256, sha256_hex};
use super::pop::{canonical_query, encode};
use super::tencent::check_numbers;
use super::{HttpRequest, SignError, utc};

/// SMS endpoint host.
pub const SMS_HOST: &str = "dysmsapi.aliyuncs.com";
/// Voice endpoint host.
pub const VOICE_HOST: &str = "dyvmsapi.aliyuncs.com";
/// API version of both SMS and voice.
pub const API_VERSION: &str = "2017-05-25";
/// Most phone numbers one `SendSms` request takes.
pub const SMS_MAX_NUMBERS: usize = 1000;

/// An Alibaba Cloud AccessKey pair.
#[derive(Clone)]
pub struct Credentials {
    /// `AccessKeyId` (sent).
    pub access_key_id: String,
    /// `AccessKeySecret` (never sent).
    pub access_key_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .finish()
    }
}

/// V2 string to sign: `METHOD&%2F&` + the encoded canonical query of `params`.
pub fn rpc_v2_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    format!("{method}&%2F&{}", encode(&canonical_query(params)))
}

/// V2 signature (base64 HMAC-SHA1 keyed by `secret&`) of `params` (without `Signature`).
pub fn rpc_v2_signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    let string_to_sign = rpc_v2_string_to_sign(method, params);
    base64(&hmac_sha1(
        format!("{secret}&").as_bytes(),
        string_to_sign.as_bytes(),
    ))
}

/// The signed V2 query string: the canonical query with `&Signature=...` appended.
pub fn rpc_v2_query(method: &str, params: &[(String, String)], secret: &str) -> String {
    let signature = rpc_v2_signature(method, params, secret);
    format!(
        "{}&Signature={}",
        canonical_query(params),
        encode(&signature)
    )
}

/// One V3-signed call.
#[derive(Clone, Debug)]
pub struct Acs3Call<'a> {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Endpoint host.
    pub host: &'a str,
    /// `x-acs-action`.
    pub action: &'a str,
    /// `x-acs-version`.
    pub version: &'a str,
    /// Query parameters (RPC APIs put their parameters here).
    pub query: &'a [(String, String)],
    /// Body bytes (empty for RPC calls with query parameters).
    pub body: &'a str,
    /// `x-acs-date`, Unix seconds.
    pub timestamp: i64,
    /// `x-acs-signature-nonce`: unique per request.
    pub nonce: &'a str,
}

/// The intermediate values of a V3 signature, as the documentation shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acs3 {
    /// The canonical request.
    pub canonical_request: String,
    /// `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
    /// The signed request.
    pub request: HttpRequest,
}

/// Signs `call` with V3 and builds the request.
pub fn acs3(credentials: &Credentials, call: &Acs3Call<'_>) -> Result<Acs3, SignError> {
    let date = iso8601(call.timestamp)?;
    let content_hash = sha256_hex(call.body.as_bytes());
    // Signed headers: lower-case names, sorted.
    let mut signed: Vec<(&str, String)> = vec![
        ("host", call.host.to_owned()),
        ("x-acs-action", call.action.to_owned()),
        ("x-acs-content-sha256", content_hash.clone()),
        ("x-acs-date", date),
        ("x-acs-signature-nonce", call.nonce.to_owned()),
        ("x-acs-version", call.version.to_owned()),
    ];
    signed.sort_by(|a, b| a.0.cmp(b.0));
    let mut canonical_headers = String::new();
    for (name, value) in &signed {
        let _ = writeln!(canonical_headers, "{name}:{}", value.trim());
    }
    let signed_headers = signed
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let query = canonical_query(call.query);
    let canonical_request = format!(
        "{}\n/\n{query}\n{canonical_headers}\n{signed_headers}\n{content_hash}",
        call.method
    );
    let string_to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let signature = hex::encode(hmac_sha256(
        credentials.access_key_secret.as_bytes(),
        string_to_sign.as_bytes(),
    ));
    let authorization = format!(
        "ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed_headers},Signature={signature}",
        credentials.access_key_id
    );
    let mut headers = vec![("Authorization".to_owned(), authorization)];
    headers.extend(
        signed
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value)),
    );
    let url = if query.is_empty() {
        format!("https://{}/", call.host)
    } else {
        format!("https://{}/?{query}", call.host)
    };
    Ok(Acs3 {
        canonical_request,
        string_to_sign,
        signature,
        request: HttpRequest {
            method: call.method,
            url,
            headers,
            body: call.body.to_owned(),
        },
    })
}

/// A templated text message (only pre-approved templates are sent).
#[derive(Clone, Debug)]
pub struct Sms<'a> {
    /// Approved signature name (签名).
    pub sign_name: &'a str,
    /// Approved template code, e.g. `SMS_154950909`.
    pub template_code: &'a str,
    /// Template parameters by name (`${level}` -> `level`).
    pub params: &'a [(String, String)],
    /// Mainland numbers (`13711112222`) or international with country code.
    pub phone_numbers: &'a [String],
    /// `OutId`: echoed in receipts; Tocsin's idempotency key.
    pub out_id: &'a str,
}

/// The signed `SendSms` request at `timestamp` with `nonce`.
pub fn send_sms(
    credentials: &Credentials,
    sms: &Sms<'_>,
    timestamp: i64,
    nonce: &str,
) -> Result<HttpRequest, SignError> {
    check_numbers(sms.phone_numbers.len(), SMS_MAX_NUMBERS)?;
    let query = vec![
        ("PhoneNumbers".to_owned(), sms.phone_numbers.join(",")),
        ("SignName".to_owned(), sms.sign_name.to_owned()),
        ("TemplateCode".to_owned(), sms.template_code.to_owned()),
        ("TemplateParam".to_owned(), json_object(sms.params)),
        ("OutId".to_owned(), sms.out_id.to_owned()),
    ];
    let call = Acs3Call {
        method: "POST",
        host: SMS_HOST,
        action: "SendSms",
        version: API_VERSION,
        query: &query,
        body: "",
        timestamp,
        nonce,
    };
    Ok(acs3(credentials, &call)?.request)
}

/// A voice notification read out by text-to-speech (电话叫应).
#[derive(Clone, Debug)]
pub struct TtsCall<'a> {
    /// The number shown to the callee (a number bought for voice).
    pub called_show_number: &'a str,
    /// The callee.
    pub called_number: &'a str,
    /// Approved TTS template code, e.g. `TTS_10001`.
    pub tts_code: &'a str,
    /// Template parameters by name.
    pub params: &'a [(String, String)],
    /// How many times the text is played (1..=3).
    pub play_times: u8,
    /// `OutId`: Tocsin's idempotency key.
    pub out_id: &'a str,
}

/// The signed `SingleCallByTts` request at `timestamp` with `nonce`.
pub fn single_call_by_tts(
    credentials: &Credentials,
    call: &TtsCall<'_>,
    timestamp: i64,
    nonce: &str,
) -> Result<HttpRequest, SignError> {
    check_numbers(usize::from(!call.called_number.is_empty()), 1)?;
    let query = vec![
        (
            "CalledShowNumber".to_owned(),
            call.called_show_number.to_owned(),
        ),
        ("CalledNumber".to_owned(), call.called_number.to_owned()),
        ("TtsCode".to_owned(), call.tts_code.to_owned()),
        ("TtsParam".to_owned(), json_object(call.params)),
        (
            "PlayTimes".to_owned(),
            call.play_times.clamp(1, 3).to_string(),
        ),
        ("OutId".to_owned(), call.out_id.to_owned()),
    ];
    let signed = acs3(
        credentials,
        &Acs3Call {
            method: "POST",
            host: VOICE_HOST,
            action: "SingleCallByTts",
            version: API_VERSION,
            query: &query,
            body: "",
            timestamp,
            nonce,
        },
    )?;
    Ok(signed.request)
}

/// `{"name":"value",...}` in the given order.
fn json_object(params: &[(String, String)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// `YYYY-MM-DDThh:mm:ssZ` (UTC) of `timestamp`.
fn iso8601(timestamp: i64) -> Result<String, SignError> {
    let at = utc(timestamp)?;
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The worked example of "Request syntax and signature method V2 for RPC APIs"
    /// (DescribeDedicatedHosts, AccessKey `testid` / `testsecret`).
    #[test]
    fn v2_reproduces_the_documented_example() {
        let params = pairs(&[
            ("Action", "DescribeDedicatedHosts"),
            ("Version", "2014-05-26"),
            ("Format", "JSON"),
            ("AccessKeyId", "testid"),
            ("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb"),
            ("Timestamp", "2023-03-13T08:34:30Z"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("RegionId", "cn-beijing"),
        ]);
        assert_eq!(
            canonical_query(&params),
            "AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing&SignatureMethod=HMAC-SHA1&SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0&Timestamp=2023-03-13T08%3A34%3A30Z&Version=2014-05-26"
        );
        assert_eq!(
            rpc_v2_string_to_sign("GET", &params),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDedicatedHosts%26Format%3DJSON%26RegionId%3Dcn-beijing%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dedb2b34af0af9a6d14deaf7c1a5315eb%26SignatureVersion%3D1.0%26Timestamp%3D2023-03-13T08%253A34%253A30Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            rpc_v2_signature("GET", &params, "testsecret"),
            "9NaGiOspFP5UPcwX8Iwt2YJXXuk="
        );
        assert!(
            rpc_v2_query("GET", &params, "testsecret")
                .ends_with("&Signature=9NaGiOspFP5UPcwX8Iwt2YJXXuk%3D")
        );
    }

    /// The older, widely copied example of the signature pages (ECS `DescribeRegions`, AccessKey
    /// `testid` / `testsecret`, with the parameter spelled `TimeStamp` as printed there). The
    /// pages print the string to sign with `&` where the encoded query has `%26`; the published
    /// signature and signed URL are those of the correctly encoded string.
    #[test]
    fn v2_reproduces_the_describe_regions_example() {
        let params = pairs(&[
            ("TimeStamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ]);
        assert_eq!(
            rpc_v2_string_to_sign("GET", &params),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            rpc_v2_signature("GET", &params, "testsecret"),
            "CT9X0VtwR86fNWSnsc6v8YGOjuE="
        );
        assert!(
            rpc_v2_query("GET", &params, "testsecret")
                .ends_with("&Signature=CT9X0VtwR86fNWSnsc6v8YGOjuE%3D")
        );
    }

    /// The step-by-step example of "V3 request syntax and signature" (ECS RunInstances in
    /// cn-shanghai, `YourAccessKeyId` / `YourAccessKeySecret`, 2023-10-26T10:22:32Z).
    #[test]
    fn v3_reproduces_the_documented_example() {
        let credentials = Credentials {
            access_key_id: "YourAccessKeyId".to_owned(),
            access_key_secret: "YourAccessKeySecret".to_owned(),
        };
        let query = pairs(&[
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
            ("RegionId", "cn-shanghai"),
        ]);
        // 2023-10-26T10:22:32Z
        let signed = acs3(
            &credentials,
            &Acs3Call {
                method: "POST",
                host: "ecs.cn-shanghai.aliyuncs.com",
                action: "RunInstances",
                version: "2014-05-26",
                query: &query,
                body: "",
                timestamp: 1_698_315_752,
                nonce: "3156853299f313e23d1673dc12e1703d",
            },
        )
        .expect("signs");
        assert_eq!(
            signed.canonical_request,
            "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\nhost:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n\nhost;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            signed.string_to_sign,
            "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(
            signed.request.header("Authorization"),
            Some(
                "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
            )
        );
        assert_eq!(
            signed.request.url,
            "https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"
        );
    }

    fn credentials() -> Credentials {
        Credentials {
            access_key_id: "testid".to_owned(),
            access_key_secret: "testsecret".to_owned(),
        }
    }

    fn query_of(request: &HttpRequest) -> Vec<(String, String)> {
        let query = request.url.split_once('?').map_or("", |(_, q)| q);
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| {
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                (decode(k), decode(v))
            })
            .collect()
    }

    #[test]
    fn send_sms_puts_template_numbers_and_out_id_in_the_signed_query() {
        let params = pairs(&[("level", "橙色"), ("place", "和平区 南京街")]);
        let numbers = vec!["13711112222".to_owned(), "13711113333".to_owned()];
        let request = send_sms(
            &credentials(),
            &Sms {
                sign_name: "沈阳应急",
                template_code: "SMS_154950909",
                params: &params,
                phone_numbers: &numbers,
                out_id: "outbox-42",
            },
            1_698_315_752,
            "n-1",
        )
        .expect("builds");
        assert!(
            request
                .url
                .starts_with("https://dysmsapi.aliyuncs.com/?OutId=outbox-42&")
        );
        assert_eq!(request.header("x-acs-action"), Some("SendSms"));
        assert_eq!(request.header("x-acs-version"), Some("2017-05-25"));
        let query = query_of(&request);
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("PhoneNumbers"), Some("13711112222,13711113333"));
        assert_eq!(
            get("TemplateParam"),
            Some(r#"{"level":"橙色","place":"和平区 南京街"}"#)
        );
        assert_eq!(get("SignName"), Some("沈阳应急"));
        // A space is %20 in the URL, never `+`.
        assert!(request.url.contains("%20"));
        assert!(!request.url.contains('+'));
    }

    #[test]
    fn voice_call_is_signed_for_the_voice_host() {
        let params = pairs(&[("level", "红色")]);
        let request = single_call_by_tts(
            &credentials(),
            &TtsCall {
                called_show_number: "02400000000",
                called_number: "13711112222",
                tts_code: "TTS_10001",
                params: &params,
                play_times: 9,
                out_id: "outbox-43",
            },
            1_698_315_752,
            "n-2",
        )
        .expect("builds");
        assert!(request.url.starts_with("https://dyvmsapi.aliyuncs.com/?"));
        assert!(request.url.contains("PlayTimes=3"));
        assert_eq!(request.header("x-acs-action"), Some("SingleCallByTts"));
        let empty = single_call_by_tts(
            &credentials(),
            &TtsCall {
                called_number: "",
                called_show_number: "0",
                tts_code: "T",
                params: &[],
                play_times: 1,
                out_id: "o",
            },
            0,
            "n",
        );
        assert_eq!(empty.expect_err("refused").code(), "no_recipient");
    }
}

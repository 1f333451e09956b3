//! The signers against an independent implementation: a Python script written from the
//! providers' documentation (hashlib/hmac/urllib only) signs the same inputs, including text the
//! published examples do not exercise (Chinese template parameters, spaces, `*`, `~`, `+`). The
//! test fails when `python3` is missing: CI machines have it.

use std::io::Write as _;
use std::process::{Command, Stdio};

use super::{alibaba, dingtalk, feishu, standard_webhooks, tencent};

const SCRIPT: &str = r#"
import base64, hashlib, hmac, json, sys, time
from urllib.parse import quote

def enc(s):
    return quote(s, safe='-_.~')

def sha256_hex(b):
    return hashlib.sha256(b).hexdigest()

def hm(key, msg, algo=hashlib.sha256):
    return hmac.new(key, msg, algo).digest()

case = json.load(sys.stdin)
out = {}

# Tencent TC3 (signature method v3): content-type and host signed.
t = case["tencent"]
date = time.strftime("%Y-%m-%d", time.gmtime(t["ts"]))
creq = "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:%s\n\ncontent-type;host\n%s" % (
    t["host"], sha256_hex(t["payload"].encode()))
scope = "%s/%s/tc3_request" % (date, t["service"])
sts = "TC3-HMAC-SHA256\n%d\n%s\n%s" % (t["ts"], scope, sha256_hex(creq.encode()))
k = hm(("TC3" + t["key"]).encode(), date.encode())
k = hm(k, t["service"].encode())
k = hm(k, b"tc3_request")
out["tencent"] = "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s" % (
    t["id"], scope, hmac.new(k, sts.encode(), hashlib.sha256).hexdigest())

# Alibaba V3 ACS3-HMAC-SHA256 over query parameters, empty body.
a = case["acs3"]
q = "&".join("%s=%s" % (enc(k), enc(v)) for k, v in sorted(a["query"]))
date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(a["ts"]))
h = {"host": a["host"], "x-acs-action": a["action"], "x-acs-content-sha256": sha256_hex(b""),
     "x-acs-date": date, "x-acs-signature-nonce": a["nonce"], "x-acs-version": a["version"]}
names = sorted(h)
creq = "POST\n/\n%s\n%s\n%s\n%s" % (q, "".join("%s:%s\n" % (n, h[n]) for n in names), ";".join(names), sha256_hex(b""))
sig = hmac.new(a["secret"].encode(), ("ACS3-HMAC-SHA256\n" + sha256_hex(creq.encode())).encode(), hashlib.sha256).hexdigest()
out["acs3"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (a["id"], ";".join(names), sig)
out["acs3_url"] = "https://%s/?%s" % (a["host"], q)

# Alibaba RPC V2, HMAC-SHA1.
v = case["v2"]
q = "&".join("%s=%s" % (enc(k), enc(val)) for k, val in sorted(v["params"]))
out["v2"] = base64.b64encode(hm((v["secret"] + "&").encode(), ("GET&%2F&" + enc(q)).encode(), hashlib.sha1)).decode()

# DingTalk: quote_plus of base64, here through quote with the same result for base64 text.
d = case["dingtalk"]
raw = hm(d["secret"].encode(), ("%d\n%s" % (d["ts"], d["secret"])).encode())
out["dingtalk"] = quote(base64.b64encode(raw).decode(), safe="")

# Feishu: the key is timestamp + "\n" + secret, the message empty.
f = case["feishu"]
out["feishu"] = base64.b64encode(hm(("%d\n%s" % (f["ts"], f["secret"])).encode(), b"")).decode()

# Standard Webhooks.
w = case["webhook"]
key = base64.b64decode(w["secret"].split("_", 1)[1])
out["webhook"] = "v1," + base64.b64encode(hm(key, ("%s.%d.%s" % (w["id"], w["ts"], w["body"])).encode())).decode()

json.dump(out, sys.stdout)
"#;

fn python(input: &serde_json::Value) -> serde_json::Value {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("python3 finishes");
    assert!(output.status.success(), "python3 failed");
    serde_json::from_slice(&output.stdout).expect("json")
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn signers_agree_with_an_independent_implementation() {
    let tencent_payload =
        r#"{"PhoneNumberSet":["+8613711112222"],"TemplateParamSet":["橙色","和平区 南京街*~+"]}"#;
    let sms_params = pairs(&[("level", "橙色"), ("place", "和平区 南京街 *~+/")]);
    let numbers = vec!["13711112222".to_owned()];
    let sms = alibaba::Sms {
        sign_name: "沈阳应急",
        template_code: "SMS_154950909",
        params: &sms_params,
        phone_numbers: &numbers,
        out_id: "outbox-42:attempt",
    };
    let ali = alibaba::Credentials {
        access_key_id: "LTAI-test".to_owned(),
        access_key_secret: "s3cr3t/+=".to_owned(),
    };
    let request = alibaba::send_sms(&ali, &sms, 1_765_075_200, "nonce-中").expect("builds");
    let query = vec![
        ("PhoneNumbers", "13711112222".to_owned()),
        ("SignName", "沈阳应急".to_owned()),
        ("TemplateCode", "SMS_154950909".to_owned()),
        (
            "TemplateParam",
            r#"{"level":"橙色","place":"和平区 南京街 *~+/"}"#.to_owned(),
        ),
        ("OutId", "outbox-42:attempt".to_owned()),
    ];
    let v2_params = pairs(&[
        ("Action", "SendSms"),
        ("TemplateParam", r#"{"place":"和平区 *~"}"#),
        ("Timestamp", "2026-12-07T04:00:00Z"),
    ]);
    let input = serde_json::json!({
        "tencent": {"id": "AKID-test", "key": "key/+=", "service": "sms", "host": "sms.tencentcloudapi.com",
                    "ts": 1_765_075_200, "payload": tencent_payload},
        "acs3": {"id": "LTAI-test", "secret": "s3cr3t/+=", "host": "dysmsapi.aliyuncs.com", "action": "SendSms",
                 "version": "2017-05-25", "ts": 1_765_075_200, "nonce": "nonce-中", "query": query},
        "v2": {"secret": "testsecret", "params": v2_params},
        "dingtalk": {"secret": "SEC-中文-secret", "ts": 1_765_075_200_123_i64},
        "feishu": {"secret": "feishu secret", "ts": 1_765_075_200},
        "webhook": {"secret": "whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==", "id": "outbox-42",
                    "ts": 1_765_075_200, "body": r#"{"level":"橙色"}"#},
    });
    let expected = python(&input);
    let tc3 = tencent::sign(
        &tencent::Credentials {
            secret_id: "AKID-test".to_owned(),
            secret_key: "key/+=".to_owned(),
        },
        &tencent::Call {
            service: "sms",
            host: "sms.tencentcloudapi.com",
            action: "SendSms",
            version: tencent::SMS_VERSION,
            region: Some("ap-guangzhou"),
            payload: tencent_payload,
        },
        1_765_075_200,
    )
    .expect("signs");
    assert_eq!(tc3.authorization, expected["tencent"]);
    assert_eq!(request.header("Authorization"), expected["acs3"].as_str());
    assert_eq!(request.url, expected["acs3_url"]);
    assert_eq!(
        alibaba::rpc_v2_signature("GET", &v2_params, "testsecret"),
        expected["v2"]
    );
    assert_eq!(
        dingtalk::sign("SEC-中文-secret", 1_765_075_200_123),
        expected["dingtalk"]
    );
    assert_eq!(
        feishu::sign("feishu secret", 1_765_075_200),
        expected["feishu"]
    );
    assert_eq!(
        standard_webhooks::signature(
            "whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==",
            "outbox-42",
            1_765_075_200,
            r#"{"level":"橙色"}"#
        )
        .expect("signs"),
        expected["webhook"]
    );
}

#!/usr/bin/env python3
"""A real HTTP receiver for the notify tests (standard library only).

Usage: webhook_receiver.py RECORD_FILE SECRET

Listens on a free loopback port and prints `PORT <n>` on its first line of stdout. Every request
is appended to RECORD_FILE as one JSON line *when it arrives* (before any delay), with the
Standard Webhooks signature checked by this file's own code (HMAC-SHA256 over
"id.timestamp.body", keyed by the base64 part of the `whsec_` secret).

The path picks the behaviour:
  /ok/...       200 {"message_id": "rcv-<n>"}
  /flaky/...    500 the first time a webhook-id is seen, then 200
  /slow/...     answers after 5 s (longer than the tests' attempt timeout)
  /lag/...      answers 200 after 0.3 s (messages stay in flight for a while)
  /big/...      200 with a 10 MB body
  /reject/...   400 {"error": "bad payload"}
  /sms/...      200 {"message_id": "sms-<n>"} (the SMS gateway)
  /dingtalk/... a DingTalk custom robot with 加签: checks `timestamp` and `sign` in the query
                (base64 HMAC-SHA256 keyed by SECRET over "timestamp\nSECRET", URL-encoded);
                {"errcode":0} or {"errcode":310000,"errmsg":"sign not match"}
  /wecom/...    a WeCom group robot: needs `key` in the query and a markdown body;
                {"errcode":0} or {"errcode":93000,"errmsg":"invalid webhook url"}
  /feishu/...   a Feishu custom bot with signature: checks `timestamp` and `sign` in the body
                (base64 HMAC-SHA256 keyed by "timestamp\nSECRET" over nothing);
                {"code":0} or {"code":19021,"msg":"sign match fail"}
  /alibaba/...  Alibaba Cloud SendSms: verifies the ACS3-HMAC-SHA256 Authorization (canonical
                request rebuilt from the query and the signed headers, keyed by SECRET);
                {"Code":"OK","BizId":"biz-<n>"}, 400 SignatureDoesNotMatch, or with
                TemplateCode `SMS_LIMIT` {"Code":"isv.BUSINESS_LIMIT_CONTROL"}
  /tencent/...  Tencent Cloud SendSms: verifies TC3-HMAC-SHA256 (SecretKey = SECRET);
                {"Response":{"SendStatusSet":[...]}} or {"Response":{"Error":...}}
The robot kinds record `robot_valid` (their own check, by this file's code) and `query`.
"""

import base64
import hashlib
import hmac
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORD_FILE = sys.argv[1]
SECRET = sys.argv[2]
LOCK = threading.Lock()
SEEN = set()
COUNT = [0]


def verify(msg_id, timestamp, body, header):
    """True when one of the header's `v1,` signatures matches."""
    if not msg_id or not timestamp or not header:
        return False
    key = base64.b64decode(SECRET[len("whsec_"):] if SECRET.startswith("whsec_") else SECRET)
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for part in header.split(" "):
        version, _, signature = part.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def verify_robot(kind, query, body):
    """The robot's own check of a request, written from the providers' pages."""
    params = urllib.parse.parse_qs(query)
    secret = SECRET.encode()
    if kind == "dingtalk":
        ts, sign = params.get("timestamp", [None])[0], params.get("sign", [None])[0]
        if not ts or not sign or "access_token" not in params:
            return False
        # the timestamp's age is not checked: the tests drive time with a manual clock
        expected = base64.b64encode(
            hmac.new(secret, f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()).decode()
        # parse_qs has already URL-decoded `sign`
        return hmac.compare_digest(sign, expected) and body.get("msgtype") in ("text", "markdown")
    if kind == "wecom":
        return bool(params.get("key", [""])[0]) and params["key"][0] != "bad" \
            and body.get("msgtype") == "markdown" \
            and len(body["markdown"]["content"].encode()) <= 4096
    if kind == "feishu":
        ts, sign = body.get("timestamp"), body.get("sign")
        if not ts or not sign:
            return False
        key = f"{ts}\n{SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        return hmac.compare_digest(sign, expected) and body.get("msg_type") in ("text", "post")
    return False


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def rfc3986(text):
    return urllib.parse.quote(text, safe="-_.~")


def verify_acs3(method, query, headers, body):
    """Alibaba Cloud signature V3, from the provider's page."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("ACS3-HMAC-SHA256 "):
        return False
    parts = dict(p.split("=", 1) for p in auth[len("ACS3-HMAC-SHA256 "):].split(","))
    signed = parts["SignedHeaders"].split(";")
    if headers.get("x-acs-content-sha256") != sha256_hex(body):
        return False
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    canonical_query = "&".join(
        f"{rfc3986(k)}={rfc3986(v)}" for k, v in sorted(pairs))
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed)
    canonical = "\n".join([method, "/", canonical_query, canonical_headers,
                           ";".join(signed), sha256_hex(body)])
    to_sign = "ACS3-HMAC-SHA256\n" + sha256_hex(canonical.encode())
    expected = hmac.new(SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(parts["Signature"], expected)


def verify_tc3(headers, body):
    """Tencent Cloud TC3-HMAC-SHA256, from the provider's page."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("TC3-HMAC-SHA256 "):
        return False
    parts = dict(p.strip().split("=", 1) for p in auth[len("TC3-HMAC-SHA256 "):].split(","))
    _key_id, date, service, _ = parts["Credential"].split("/")
    signed = parts["SignedHeaders"].split(";")
    timestamp = headers.get("X-TC-Timestamp", "")
    day = time.strftime("%Y-%m-%d", time.gmtime(int(timestamp)))
    if day != date:
        return False
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip().lower()}\n" for h in signed)
    canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed),
                           sha256_hex(body)])
    to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, f"{date}/{service}/tc3_request",
                         sha256_hex(canonical.encode())])
    key = hmac.new(("TC3" + SECRET).encode(), date.encode(), hashlib.sha256).digest()
    key = hmac.new(key, service.encode(), hashlib.sha256).digest()
    key = hmac.new(key, b"tc3_request", hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(parts["Signature"], expected)


ROBOT_ANSWERS = {
    "dingtalk": ({"errcode": 0, "errmsg": "ok"}, {"errcode": 310000, "errmsg": "sign not match"}),
    "wecom": ({"errcode": 0, "errmsg": "ok"}, {"errcode": 93000, "errmsg": "invalid webhook url"}),
    "feishu": ({"code": 0, "msg": "success", "data": {}}, {"code": 19021, "msg": "sign match fail"}),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        kind = self.path.split("/")[1]
        if kind in ("alibaba", "tencent"):
            with LOCK:
                COUNT[0] += 1
                n = COUNT[0]
            return self.provider_sms(kind, n, body)
        if kind == "alibaba-voice":
            with LOCK:
                COUNT[0] += 1
                n = COUNT[0]
            return self.provider_voice(n, body)
        if kind in ROBOT_ANSWERS:
            with LOCK:
                COUNT[0] += 1
                n = COUNT[0]
            return self.robot(kind, n, body)
        msg_id = self.headers.get("webhook-id")
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
            first_time = msg_id not in SEEN
            SEEN.add(msg_id)
            record = {
                "n": n,
                "path": self.path,
                "webhook_id": msg_id,
                "timestamp": self.headers.get("webhook-timestamp"),
                "signature_valid": verify(
                    msg_id, self.headers.get("webhook-timestamp"), body,
                    self.headers.get("webhook-signature")),
                "body": json.loads(body.decode("utf-8")) if body else None,
            }
            with open(RECORD_FILE, "a", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        if kind == "flaky" and first_time:
            return self.answer(500, b'{"error": "try later"}')
        if kind == "slow":
            time.sleep(5)
        if kind == "lag":
            time.sleep(0.3)
        if kind == "reject":
            return self.answer(400, b'{"error": "bad payload"}')
        if kind == "big":
            self.send_response(200)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(10 * 1024 * 1024))
            self.end_headers()
            chunk = b"x" * (1024 * 1024)
            try:
                for _ in range(10):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        prefix = "sms" if kind == "sms" else "rcv"
        return self.answer(200, json.dumps({"message_id": f"{prefix}-{n}"}).encode())

    def robot(self, kind, n, body):
        query = urllib.parse.urlsplit(self.path).query
        parsed = json.loads(body.decode("utf-8")) if body else {}
        valid = verify_robot(kind, query, parsed)
        with LOCK:
            with open(RECORD_FILE, "a", encoding="utf-8") as out:
                out.write(json.dumps({"n": n, "robot": kind, "robot_valid": valid,
                                      "query": query, "body": parsed}, ensure_ascii=False) + "\n")
        good, bad = ROBOT_ANSWERS[kind]
        return self.answer(200, json.dumps(good if valid else bad).encode())

    def provider_sms(self, kind, n, body):
        query = urllib.parse.urlsplit(self.path).query
        if kind == "alibaba":
            valid = verify_acs3("POST", query, self.headers, body)
            params = dict(urllib.parse.parse_qsl(query))
            record = {"provider": kind, "valid": valid, "out_id": params.get("OutId"),
                      "phones": params.get("PhoneNumbers", "").split(","),
                      "template": params.get("TemplateCode"),
                      "params": json.loads(params.get("TemplateParam", "{}")),
                      "host": self.headers.get("host")}
            if not valid:
                status, answer = 400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}
            elif record["template"] == "SMS_LIMIT":
                status, answer = 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "流控"}
            else:
                status, answer = 200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{n}",
                                       "RequestId": "r"}
        else:
            valid = verify_tc3(self.headers, body)
            payload = json.loads(body.decode("utf-8"))
            record = {"provider": kind, "valid": valid, "out_id": payload.get("SessionContext"),
                      "phones": payload.get("PhoneNumberSet"),
                      "template": payload.get("TemplateId"),
                      "params": payload.get("TemplateParamSet"),
                      "host": self.headers.get("host")}
            status = 200
            if not valid:
                answer = {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
                                                 "Message": "bad signature"}, "RequestId": "r"}}
            else:
                answer = {"Response": {"SendStatusSet": [
                    {"SerialNo": f"sn-{n}-{i}", "PhoneNumber": p, "Code": "Ok",
                     "Message": "send success"} for i, p in enumerate(record["phones"])],
                    "RequestId": "r"}}
        with LOCK:
            with open(RECORD_FILE, "a", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return self.answer(status, json.dumps(answer, ensure_ascii=False).encode())

    def provider_voice(self, n, body):
        """Alibaba Cloud SingleCallByTts (Dyvmsapi): the ACS3 signature checked with the code
        above; TTS_LIMIT answers flow control, TTS_BAD an illegal template."""
        query = urllib.parse.urlsplit(self.path).query
        valid = verify_acs3("POST", query, self.headers, body)
        params = dict(urllib.parse.parse_qsl(query))
        record = {"provider": "alibaba-voice", "valid": valid, "out_id": params.get("OutId"),
                  "action": self.headers.get("x-acs-action"),
                  "version": self.headers.get("x-acs-version"),
                  "called": params.get("CalledNumber"),
                  "show": params.get("CalledShowNumber"),
                  "template": params.get("TtsCode"),
                  "params": json.loads(params.get("TtsParam", "{}")),
                  "play_times": params.get("PlayTimes"),
                  "host": self.headers.get("host")}
        if not valid:
            status, answer = 400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}
        elif record["template"] == "TTS_LIMIT":
            status, answer = 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "流控"}
        elif record["template"] == "TTS_BAD":
            status, answer = 200, {"Code": "isv.TTS_TEMPLATE_ILLEGAL", "Message": "模板不合法"}
        else:
            status, answer = 200, {"Code": "OK", "Message": "OK", "CallId": f"call-{n}",
                                   "RequestId": "r"}
        with LOCK:
            with open(RECORD_FILE, "a", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return self.answer(status, json.dumps(answer, ensure_ascii=False).encode())

    def answer(self, status, body):
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

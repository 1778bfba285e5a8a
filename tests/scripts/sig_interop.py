#!/usr/bin/env python3
"""HTTP Signatures interop with independent implementations, driven by
protocol/tests/signature_interop.rs through JSON on stdin and stdout.

  sig_interop.py verify   reads {"public_key_pem", "requests": [...]} signed by Shoal and
                          prints [{"name", "ok", "error"}] from httpsig (draft-cavage) and
                          http-message-signatures (RFC 9421).
  sig_interop.py sign     reads {"now", "host"} and prints {"public_key_pem", "requests": [...]}
                          signed by those libraries, for Shoal to verify.

A request is {"name", "scheme", "method", "url", "headers": [[name, value], ...],
"body_b64": str | null}.
"""
import base64
import email.utils
import hashlib
import json
import sys
from urllib.parse import urlsplit

import httpsig
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver
from http_message_signatures.algorithms import RSA_V1_5_SHA256
from requests.structures import CaseInsensitiveDict


class Message:
    """The request shape http-message-signatures resolves components from."""

    def __init__(self, method, url, headers):
        self.method = method
        self.url = url
        self.headers = headers


def target_of(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def body_of(request):
    b64 = request.get("body_b64")
    return None if b64 is None else base64.b64decode(b64)


def verify_cavage(request, public_pem):
    headers = CaseInsensitiveDict(request["headers"])
    body = body_of(request)
    if request["scheme"] == "cavage-hs2019":
        # httpsig predates hs2019; with an RSA key hs2019 means RSASSA-PKCS1-v1_5 SHA-256
        # (as Mastodon reads it), so verify the same signing string under that name.
        if 'algorithm="hs2019"' not in headers["signature"]:
            raise Exception("hs2019 request does not say hs2019")
        headers["signature"] = headers["signature"].replace('algorithm="hs2019"', 'algorithm="rsa-sha256"')
        headers["(created)"] = headers["signature"].split("created=")[1].split(",")[0]
    required = ["(request-target)", "host", "date"] + (["digest"] if body is not None else [])
    verifier = httpsig.HeaderVerifier(
        headers=headers,
        secret=public_pem,
        required_headers=required,
        method=request["method"],
        path=target_of(request["url"]),
        sign_header="signature",
    )
    if not verifier.verify():
        raise Exception("httpsig: signature does not verify")
    if body is not None:
        algorithm, value = headers["digest"].split("=", 1)
        if algorithm.lower() != "sha-256" or base64.b64decode(value) != hashlib.sha256(body).digest():
            raise Exception("Digest does not match the body")


def verify_rfc9421(request, public_pem, key_id):
    headers = CaseInsensitiveDict(request["headers"])
    resolver = MappingKeyResolver(public_keys={key_id: public_pem}, private_keys={})
    verifier = HTTPMessageVerifier(signature_algorithm=RSA_V1_5_SHA256, key_resolver=resolver)
    body = body_of(request)
    required = ["@method", "@authority", "@path", "date"] + (["content-digest"] if body is not None else [])
    results = verifier.verify(
        Message(request["method"], request["url"], headers), require_components=required, body=body
    )
    if len(results) != 1:
        raise Exception(f"expected one signature, got {len(results)}")


def verify(job):
    public_pem = job["public_key_pem"].encode()
    out = []
    for request in job["requests"]:
        try:
            if request["scheme"].startswith("cavage"):
                verify_cavage(request, public_pem)
            else:
                verify_rfc9421(request, public_pem, job["key_id"])
            out.append({"name": request["name"], "ok": True, "error": None})
        except Exception as error:  # report every failure to the Rust side
            out.append({"name": request["name"], "ok": False, "error": f"{type(error).__name__}: {error}"})
    return out


def sign(job):
    now, host = job["now"], job["host"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    key_id = f"https://{host}/accounts/py#main-key"
    date = email.utils.formatdate(now, usegmt=True)
    body = b'{"type":"Create","object":{"type":"Note","content":"hello from python"}}'
    url_post, url_get = f"https://{host}/inbox", f"https://{host}/accounts/alice?page=1"
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    requests_out = []

    def emit(name, scheme, method, url, headers, body_bytes):
        requests_out.append({
            "name": name, "scheme": scheme, "method": method, "url": url,
            "headers": [[k, v] for k, v in headers.items()],
            "body_b64": None if body_bytes is None else base64.b64encode(body_bytes).decode(),
        })

    # draft-cavage rsa-sha256 through httpsig: a POST with a Digest, and a GET.
    post_headers = {"Host": host, "Date": date, "Digest": digest, "Content-Type": "application/activity+json"}
    signer = httpsig.HeaderSigner(key_id, private_pem, algorithm="rsa-sha256",
                                  headers=["(request-target)", "host", "date", "digest"], sign_header="signature")
    emit("cavage rsa-sha256 POST", "cavage", "POST", url_post,
         signer.sign(post_headers, method="POST", path="/inbox"), body)
    signer = httpsig.HeaderSigner(key_id, private_pem, algorithm="rsa-sha256",
                                  headers=["(request-target)", "host", "date"], sign_header="signature")
    emit("cavage rsa-sha256 GET", "cavage", "GET", url_get,
         signer.sign({"Host": host, "Date": date}, method="GET", path=target_of(url_get)), None)

    # draft-cavage hs2019 with (created) and (expires), signed as Mastodon verifies it.
    created, expires = now, now + 300
    signing_string = "\n".join([
        "(request-target): post /inbox", f"(created): {created}", f"(expires): {expires}",
        f"host: {host}", f"digest: {digest}",
    ])
    signature = base64.b64encode(key.sign(signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    hs_headers = dict(post_headers)
    hs_headers["Signature"] = (
        f'keyId="{key_id}",algorithm="hs2019",created={created},expires={expires},'
        f'headers="(request-target) (created) (expires) host digest",signature="{signature}"'
    )
    emit("cavage hs2019 POST", "cavage-hs2019", "POST", url_post, hs_headers, body)

    # RFC 9421 rsa-v1_5-sha256 through http-message-signatures: a POST (Content-Digest) and a GET.
    resolver = MappingKeyResolver(public_keys={}, private_keys={key_id: private_pem})
    signer = HTTPMessageSigner(signature_algorithm=RSA_V1_5_SHA256, key_resolver=resolver)
    headers = CaseInsensitiveDict({"Host": host, "Date": date, "Content-Type": "application/activity+json"})
    signer.sign(Message("POST", url_post, headers), key_id=key_id, body=body,
                covered_component_ids=("@method", "@authority", "@path", "date", "content-type"))
    emit("rfc9421 POST", "rfc9421", "POST", url_post, headers, body)
    headers = CaseInsensitiveDict({"Host": host, "Date": date})
    signer.sign(Message("GET", url_get, headers), key_id=key_id)
    emit("rfc9421 GET", "rfc9421", "GET", url_get, headers, None)
    return {"public_key_pem": public_pem, "key_id": key_id, "requests": requests_out}


def main():
    job = json.load(sys.stdin)
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "verify":
        json.dump(verify(job), sys.stdout)
    elif mode == "sign":
        json.dump(sign(job), sys.stdout)
    else:
        sys.exit("usage: sig_interop.py verify|sign < job.json")


if __name__ == "__main__":
    main()

"""bovine (PyPI, an independent ActivityPub library) against a Shoal node.

Usage: tests/.venv/bin/python bovine_client.py SHOAL_BASE ACCOUNT TIMEOUT_SECS

With bovine's own code paths:
1. `bovine.clients.lookup_uri_with_webfinger` resolves acct:ACCOUNT@host to an actor id;
2. `BovineActor.get` (a draft-cavage signed GET, bovine's `signed_get`) fetches that actor;
3. bovine's `ActivityFactory` builds a Follow of it and `BovineActor.client.post`
   (a signed POST: `(request-target) host date digest content-type`, with bovine's
   lower-case `sha-256=` Digest) sends it to the actor's inbox;
4. the Accept Shoal sends back to bovine's actor is checked with bovine's
   `build_validate_http_signature_raw` (and with httpsig, by the fake host).
bovine's own actor (RSA key from `bovine.crypto.generate_rsa_public_private_key`)
is served by fed_common.FakeHost on 127.0.0.1 so Shoal can fetch its key.

Prints one JSON report on stdout; exits 0 only if every step worked.
Needs tests/.venv (bash scripts/setup.sh).
"""
import asyncio
import json
import sys
import time
import uuid

import fed_common as fc

try:
    import aiohttp
    from bovine import BovineActor
    from bovine.activitystreams.activity_factory import ActivityFactory
    from bovine.clients import lookup_uri_with_webfinger
    from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
    from bovine.crypto.types import CryptographicIdentifier
except ImportError as missing:
    sys.stderr.write(f"bovine_client.py needs bovine from tests/.venv ({missing}); run `bash scripts/setup.sh`\n")
    sys.exit(3)


async def run(shoal_base, account, timeout):
    report = {"ok": False}
    host = fc.FakeHost(["cow"], software="bovine").start()
    cow = host.actors["cow"]
    # bovine's key, not fed_common's.
    cow.keys.public_pem, cow.keys.private_pem = generate_rsa_public_private_key()
    shoal_host = shoal_base.split("://", 1)[1]
    report["bovine_actor"] = cow.id

    async with aiohttp.ClientSession() as session:
        actor_id, verify_needed = await lookup_uri_with_webfinger(
            session, f"acct:{account}@{shoal_host}", domain=shoal_base
        )
        report["webfinger_actor"] = actor_id
        report["webfinger_verification_needed"] = verify_needed
        if not actor_id:
            report["error"] = "webfinger lookup found no actor"
            return report

        bovine = BovineActor(actor_id=cow.id, public_key_url=cow.key_id, secret=cow.keys.private_pem)
        await bovine.init(session=session)

        raw = await bovine.client.get(actor_id)
        report["signed_get_status"] = raw.status
        report["signed_get_content_type"] = raw.headers.get("Content-Type", "")
        document = await bovine.get(actor_id)
        report["actor"] = {k: document.get(k) for k in ("id", "type", "inbox", "outbox", "preferredUsername")}
        report["actor_public_key_id"] = (document.get("publicKey") or {}).get("id")
        inbox = document.get("inbox")
        if document.get("id") != actor_id or not inbox:
            report["error"] = "the fetched actor's id differs from the WebFinger href, or it has no inbox"
            return report

        follow = ActivityFactory({"id": cow.id}).follow(actor_id, id=f"{cow.base}/activities/{uuid.uuid4()}").build()
        report["follow"] = follow
        response = await bovine.client.post(inbox, json.dumps(follow))
        report["post_status"] = response.status
        report["post_body"] = await response.text()
        if response.status != 202:
            report["error"] = f"signed POST of a Follow answered {response.status}"
            return report

        accept = await wait_accept(host, follow["id"], timeout)
        if accept is None:
            report["error"] = "no Accept of the Follow arrived"
            report["deliveries"] = host.snapshot()[0]
            return report
        report["accept_path"] = accept["path"]
        report["accept"] = accept["activity"]
        report["httpsig_verification"] = accept["verification"]

        async def key_retriever(key_id):
            response = await bovine.client.get(key_id.split("#", 1)[0])
            data = json.loads(await response.text())
            return CryptographicIdentifier.from_public_key(data["publicKey"])

        validate = build_validate_http_signature_raw(key_retriever)
        body = accept["body"].encode()

        async def read_body():
            return body

        owner = await validate("post", host.base + accept["path"], lowercase(accept["headers"]), read_body)
        report["bovine_verified_owner"] = owner
        ok_accept = (
            accept["activity"].get("type") == "Accept"
            and accept["activity"].get("actor") == actor_id
            and owner == actor_id
            and accept["verification"]["ok"]
        )
        report["ok"] = ok_accept
        if not ok_accept:
            report["error"] = "the Accept is not from the followed actor or its signature did not verify"
    return report


def lowercase(headers):
    return {k.lower(): v for k, v in headers.items()}


def follow_id_of(obj):
    return obj.get("id") if isinstance(obj, dict) else obj


async def wait_accept(host, follow_id, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for entry in host.snapshot()[0]:
            activity = entry["activity"] if isinstance(entry["activity"], dict) else {}
            if activity.get("type") == "Accept" and follow_id_of(activity.get("object")) == follow_id \
                    and entry["verification"] is not None:
                return entry
        await asyncio.sleep(0.2)
    return None


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        sys.exit(2)
    base, account, timeout = sys.argv[1].rstrip("/"), sys.argv[2], float(sys.argv[3])
    try:
        report = asyncio.run(run(base, account, timeout))
    except Exception as e:
        report = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(report, default=str))
    sys.exit(0 if report.get("ok") else 1)


if __name__ == "__main__":
    main()

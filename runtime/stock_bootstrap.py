"""The Batch bootstrap for a stock Python image: fetch the code, check it, run it. Standard library only.

A Batch step without `@batch(image=...)` runs in a stock `python:<minor>-slim` image,
which has neither sfnflow nor boto3. The compiled command is a one-line launcher
(sfn_compiler/batch_bootstrap.py) that executes this file's source, which the job
definition carries in `SFNFLOW_BOOTSTRAP`. Then, before any downloaded byte runs:

1. the AWS credentials of the job role (ECS's container credentials endpoint, or the
   usual environment variables);
2. an S3 GET, signed here with SigV4 (no boto3 yet), of the code package
   (`SFNFLOW_CODE_KEY`) and of the boto3 bundle (`SFNFLOW_DEPS_KEY`), each with
   ExpectedBucketOwner (`SFNFLOW_BUCKET_OWNER`): the bucket name is predictable;
3. each download's sha256 checked against the one the deployer wrote into the job
   definition (`SFNFLOW_CODE_SHA256`, `SFNFLOW_DEPS_SHA256`); a mismatch stops the job;
4. both unpacked, the code first on sys.path and the working folder (as /var/task is on
   Lambda), then `runtime.batch_main.main` with the task's arguments.

Nothing comes from PyPI or anywhere but the datastore bucket, so a task needs no route
to the internet beyond S3 (and the image registry), and every task of a deploy runs the
same bytes. Exit code 2 (a platform failure, as runtime.batch_main) when any step fails,
with one line on stderr saying what to do.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from typing import Mapping, Sequence

EXIT_PLATFORM = 2
_ATTEMPTS = 4  # S3 and the credentials endpoint can fail transiently
_ECS_CREDENTIALS_HOST = "http://169.254.170.2"  # ECS's task credentials endpoint (Batch on EC2 and Fargate)
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class BootstrapError(Exception):
    """A bootstrap step failed; the message says what to fix."""


# -- credentials --------------------------------------------------------------------------------
def credentials(environ: Mapping[str, str]) -> tuple[str, str, str]:
    """(access key, secret key, session token) of the job role, as botocore would find them."""
    if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
        return environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"], environ.get("AWS_SESSION_TOKEN", "")
    relative, full = environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), environ.get(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if not relative and not full:
        raise BootstrapError("no AWS credentials: the job has no job role (ECS gives none) and no "
                             "AWS_ACCESS_KEY_ID; redeploy the flow, whose job definitions name one")
    url = _ECS_CREDENTIALS_HOST + relative if relative else str(full)
    headers = {}
    token = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    token_file = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    if token_file:
        with open(token_file, encoding="utf-8") as fh:
            token = fh.read().strip()
    if token:
        headers["Authorization"] = token
    data = json.loads(_with_retries(lambda: _read(urllib.request.Request(url, headers=headers)), url))
    return data["AccessKeyId"], data["SecretAccessKey"], data.get("Token", "")


# -- a signed S3 GET --------------------------------------------------------------------------------
def object_url(bucket: str, key: str, region: str, endpoint: str = "") -> tuple[str, str, str]:
    """(url, host, canonical path) of an object: path-style on an endpoint (the emulator) or for a
    bucket name with dots, else virtual-hosted."""
    path_key = "/" + urllib.parse.quote(key, safe="/-_.~")
    if endpoint:
        parsed = urllib.parse.urlsplit(endpoint)
        path = "/" + urllib.parse.quote(bucket, safe="-_.~") + path_key
        return f"{parsed.scheme}://{parsed.netloc}{path}", parsed.netloc, path
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    if "." in bucket:
        host = f"s3.{region}.{domain}"
        path = "/" + bucket + path_key
    else:
        host, path = f"{bucket}.s3.{region}.{domain}", path_key
    return f"https://{host}{path}", host, path


def signed_headers(host: str, path: str, region: str, creds: tuple[str, str, str], now: datetime.datetime,
                   extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers of a SigV4-signed S3 GET (AWS's "Signature Version 4 signing process")."""
    access_key, secret, token = creds
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"host": host, "x-amz-content-sha256": _EMPTY_SHA256, "x-amz-date": amz_date}
    headers.update({k.lower(): v for k, v in (extra or {}).items()})
    if token:
        headers["x-amz-security-token"] = token
    names = sorted(headers)
    canonical = "\n".join(["GET", path, "", "".join(f"{n}:{headers[n].strip()}\n" for n in names),
                           ";".join(names), _EMPTY_SHA256])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers


def get_object(bucket: str, key: str, region: str, creds: tuple[str, str, str], *, owner: str = "",
               endpoint: str = "") -> bytes:
    """The object's bytes, or BootstrapError naming the status and S3's error code."""
    url, host, path = object_url(bucket, key, region, endpoint)
    extra = {"x-amz-expected-bucket-owner": owner} if owner else {}

    def once() -> bytes:
        now = datetime.datetime.now(datetime.timezone.utc)
        return _read(urllib.request.Request(url, headers=signed_headers(host, path, region, creds, now, extra)))

    return _with_retries(once, f"s3://{bucket}/{key}")


def _read(request: urllib.request.Request) -> bytes:
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (S3 or ECS's endpoint only)
        return bytes(response.read())


def _with_retries(call, what: str) -> bytes:  # type: ignore[no-untyped-def]
    for attempt in range(_ATTEMPTS):
        try:
            return call()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            code = body.split("<Code>")[1].split("</Code>")[0] if "<Code>" in body else ""
            if exc.code < 500 or attempt == _ATTEMPTS - 1:
                raise BootstrapError(f"cannot read {what}: HTTP {exc.code} {code}".rstrip()) from None
        except (urllib.error.URLError, OSError) as exc:
            if attempt == _ATTEMPTS - 1:
                raise BootstrapError(f"cannot reach {what}: {exc}") from None
        time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


# -- fetch, check, unpack -----------------------------------------------------------------------------
def fetch_package(environ: Mapping[str, str], key: str, sha256: str, creds: tuple[str, str, str],
                  what: str) -> str:
    """Download one package, refuse it unless its sha256 is the expected one, unpack it; its folder."""
    if len(sha256) != 64:
        raise BootstrapError(f"the job definition gives no sha256 for the {what} ({key}); redeploy the flow")
    bucket = environ.get("SFNFLOW_BUCKET", "")
    url = environ.get("SFNFLOW_CODE_URL", "") if what == "code package" else ""
    if url.startswith("s3://") and "/" in url[5:]:  # the code named by URL instead of key
        bucket, _, key = url[5:].partition("/")
    region = environ.get("SFNFLOW_REGION") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION", "")
    if not bucket or not region:
        raise BootstrapError("the job definition names no SFNFLOW_BUCKET or Region; redeploy the flow")
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL", "")
    data = get_object(bucket, key, region, creds, owner=environ.get("SFNFLOW_BUCKET_OWNER", ""), endpoint=endpoint)
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise BootstrapError(f"the {what} s3://{bucket}/{key} has sha256 {actual}, not the deployed {sha256}: "
                             "it was changed after the deploy; nothing of it was run. Redeploy the flow")
    folder = tempfile.mkdtemp(prefix="sfnflow-")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


def launch(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    """Fetch and check the code package and the boto3 bundle, then run the task; the exit code."""
    environ = os.environ if environ is None else environ
    try:
        creds = credentials(environ)
        code = fetch_package(environ, environ.get("SFNFLOW_CODE_KEY", "") or environ.get("SFNFLOW_CODE_URL", ""), environ.get("SFNFLOW_CODE_SHA256", ""),
                             creds, "code package")
        folders = [code]
        if environ.get("SFNFLOW_DEPS_KEY"):
            folders.append(fetch_package(environ, environ["SFNFLOW_DEPS_KEY"], environ.get("SFNFLOW_DEPS_SHA256", ""),
                                         creds, "boto3 bundle"))
    except BootstrapError as exc:
        print(f"sfnflow: sfnflow failed: bootstrap: {exc}.", file=sys.stderr, flush=True)
        return EXIT_PLATFORM
    sys.path[:0] = folders  # the code first, then its boto3
    os.chdir(code)
    from runtime.batch_main import main  # from the package just checked

    return int(main(list(argv)))


if __name__ == "__main__":  # run as `python -c <launcher>` executing this source
    sys.exit(launch(sys.argv[1:]))

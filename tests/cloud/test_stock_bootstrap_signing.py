"""The stock-image bootstrap's own S3 client (runtime/stock_bootstrap.py): SigV4 as AWS checks it,
credentials as ECS hands them over, URLs as S3 names them.

moto's server verifies signatures once IAM authentication is on (it recomputes each one
with botocore), so a wrong signature is a 403 SignatureDoesNotMatch here too.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Iterator

import pytest

from runtime import stock_bootstrap as boot

REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_with_a_user() -> Iterator[dict[str, Any]]:
    """A moto server with one object and an IAM user allowed to read it."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    kw = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="admin", aws_secret_access_key="admin")
    s3, iam = boto3.client("s3", **kw), boto3.client("iam", **kw)
    s3.create_bucket(Bucket="signed-bucket")
    s3.put_object(Bucket="signed-bucket", Key="code/abc.zip", Body=b"package bytes")
    iam.create_user(UserName="job")
    iam.put_user_policy(UserName="job", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::signed-bucket/*"}]}))
    key = iam.create_access_key(UserName="job")["AccessKey"]
    yield {"endpoint": endpoint, "creds": (key["AccessKeyId"], key["SecretAccessKey"], "")}
    server.stop()


def test_a_signed_get_passes_awss_signature_check(s3_with_a_user: dict[str, Any]) -> None:
    from moto.core.authorization import enable_iam_authentication

    with enable_iam_authentication():
        data = boot.get_object("signed-bucket", "code/abc.zip", REGION, s3_with_a_user["creds"],
                               owner="123456789012", endpoint=s3_with_a_user["endpoint"])
    assert data == b"package bytes"


def test_a_wrong_secret_is_refused_by_the_signature_check(s3_with_a_user: dict[str, Any]) -> None:
    from moto.core.authorization import enable_iam_authentication

    access, _, _ = s3_with_a_user["creds"]
    with enable_iam_authentication(), pytest.raises(boot.BootstrapError, match="HTTP 403 SignatureDoesNotMatch"):
        boot.get_object("signed-bucket", "code/abc.zip", REGION, (access, "not-the-secret", ""),
                        endpoint=s3_with_a_user["endpoint"])


def test_object_urls_follow_s3s_addressing() -> None:
    assert boot.object_url("b", "code/x.zip", "eu-west-1") == (
        "https://b.s3.eu-west-1.amazonaws.com/code/x.zip", "b.s3.eu-west-1.amazonaws.com", "/code/x.zip")
    assert boot.object_url("my.bucket", "k", "us-east-1")[0] == "https://s3.us-east-1.amazonaws.com/my.bucket/k"
    assert boot.object_url("b", "k", "cn-north-1")[1] == "b.s3.cn-north-1.amazonaws.com.cn"
    assert boot.object_url("b", "a b/c", "us-east-1", "http://localhost:4566") == (
        "http://localhost:4566/b/a%20b/c", "localhost:4566", "/b/a%20b/c")


class _Credentials(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        ok = self.headers.get("Authorization") == "token-1"
        body = json.dumps({"AccessKeyId": "AKIA", "SecretAccessKey": "s", "Token": "t"}).encode()
        self.send_response(200 if ok else 401)
        self.end_headers()
        self.wfile.write(body if ok else b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def test_credentials_come_from_ecs_when_the_environment_has_none(tmp_path: Any) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Credentials)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        token = tmp_path / "token"
        token.write_text("token-1\n")
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{server.server_port}/creds",
               "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token)}
        assert boot.credentials(env) == ("AKIA", "s", "t")
    finally:
        server.shutdown()
    assert boot.credentials({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}) == ("a", "b", "")
    with pytest.raises(boot.BootstrapError, match="no AWS credentials: the job has no job role"):
        boot.credentials({})


def test_a_missing_sha256_is_refused() -> None:
    with pytest.raises(boot.BootstrapError, match="gives no sha256 for the code package"):
        boot.fetch_package({"SFNFLOW_BUCKET": "b", "SFNFLOW_REGION": REGION}, "code/x.zip", "", ("a", "b", ""),
                           "code package")

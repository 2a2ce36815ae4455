"""`sfnflow emulator` on a port that is taken exits at once with one sentence."""
from __future__ import annotations

import socket

from click.testing import CliRunner

from sfnflow.cli import main


def test_a_busy_port_is_one_sentence_and_a_non_zero_exit() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        done = CliRunner().invoke(main, ["emulator", "--port", str(port)])
    finally:
        taken.close()
    assert done.exit_code != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.output and "--port" in done.output
    assert "Traceback" not in done.output

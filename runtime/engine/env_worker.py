"""A local worker in a step environment's own interpreter:

    <venv>/bin/python -m runtime.engine.env_worker --fd N --flow-file F --root R [--tee]

Started by InterpreterWorkerPool (env_pools.py) with one end of a socket pair as fd N. It
imports the runtime and the flow once, answers ("ready",) or ("failed", message), then
serves tasks exactly as a zygote-forked worker does (workers._worker_loop: the same
protocol and the same RunTaskExecutor), until the pool closes the socket.

Only the standard library, sfnflow's packages and cloudpickle are needed here: the venv
holds the step's packages, not the engine's (no moto, no boto3).
"""
from __future__ import annotations

import argparse
import signal
import sys
from multiprocessing.connection import Connection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runtime.engine.env_worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--flow-file", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--tee", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the engine's to handle
    conn = Connection(args.fd)
    try:
        from .worker_processes import watch_parent
        from .workers import RunTaskExecutor, _worker_loop

        watch_parent()

        executor = RunTaskExecutor(args.flow_file, args.root, tee=args.tee)
        executor.warm()
    except BaseException as exc:  # reported to the engine, which names the environment
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return 1
    conn.send(("ready",))
    try:
        _worker_loop(conn, executor)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Step environments (@pypi/@conda): resolve with uv into a lock, build per environment hash.

sfn_compiler.environments says what each step asks for (pure); this package does the I/O:
finding interpreters, resolving (resolve.py), the lock (locks.py), local venvs (venvs.py,
local.py), and the cloud's packages (lambda_layer.py, batch_bundle.py).
"""

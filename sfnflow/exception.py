"""Metaflow's exception classes (`from metaflow.exception import MetaflowNotFound` becomes
`from sfnflow.exception import MetaflowNotFound`). Defined in sfn_compiler.exceptions,
which the task runtime can import too."""
from sfn_compiler.exceptions import *  # noqa: F401,F403
from sfn_compiler.exceptions import __all__  # noqa: F401

"""The client API: read past runs and their artifacts."""
from .objects import DataView, Flow, NotFound, Run, Step, Task, default_namespace, get_namespace, namespace
from .stores import get_stores, set_root, use_cloud

__all__ = ["DataView", "Flow", "NotFound", "Run", "Step", "Task", "default_namespace", "get_namespace",
           "get_stores", "namespace", "set_root", "use_cloud"]

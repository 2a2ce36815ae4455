"""The client API: read past runs and their artifacts, as Metaflow's client does."""
from .artifacts import DataArtifact, DataView
from .metaflow_root import Metaflow, get_metadata, metadata
from .objects import Flow, NotFound, Run, RunCode, Step, Task
from .namespaces import default_namespace, get_namespace, namespace
from .stores import get_stores, set_root, use_cloud

__all__ = ["DataArtifact", "DataView", "Flow", "Metaflow", "NotFound", "Run", "RunCode", "Step", "Task",
           "default_namespace", "get_metadata", "get_namespace", "get_stores", "metadata", "namespace",
           "set_root", "use_cloud"]

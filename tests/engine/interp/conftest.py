"""The interpreter's own tests: in-process fakes (interp_fakes.py), no worker processes."""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

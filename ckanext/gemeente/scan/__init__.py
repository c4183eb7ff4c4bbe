"""Personal-data scanner and pseudonymisation (``gemeente_scan``).

The core (:mod:`.core`, :mod:`.readers`, :mod:`.detectors`, :mod:`.judge`, :mod:`.report`,
:mod:`.pseudonymise`) imports no CKAN: a file goes in, a :class:`~.report.ScanReport` comes
out. The CKAN side is :mod:`.plugin`, :mod:`.jobs`, :mod:`.model`, :mod:`.logic` and
:mod:`.cli`.
"""

from __future__ import annotations

from .core import ScanOptions, scan_file
from .report import ScanReport

__all__ = ["ScanOptions", "ScanReport", "scan_file"]

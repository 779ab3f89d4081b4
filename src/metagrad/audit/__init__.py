"""Audit of the reproduction: every claim of REPRODUCTION.md section 8 tested statistically.

Layout: :mod:`~metagrad.audit.stats` (one-sided tests, Holm, intervals, sample-size projections),
:mod:`~metagrad.audit.store` (tables), :mod:`~metagrad.audit.frontier_data` (frontier settings and
paired tests), :mod:`~metagrad.audit.claims` (the checks, per experiment family),
:mod:`~metagrad.audit.registry` (claims C1..C12 and findings S1..S3); plain functions
:func:`run_audit` (claims.csv, summary.md), :func:`compare_folders` (two result folders, table by
table) and :func:`build_report` (a self-contained HTML page). Command line: ``metagrad audit
{run,compare,report}`` (:mod:`metagrad.cli`).
"""

from metagrad.audit.compare import compare_folders
from metagrad.audit.registry import CLAIMS, FINDINGS, Claim, evaluate_claims
from metagrad.audit.report import build_report
from metagrad.audit.run import run_audit
from metagrad.audit.settings import AuditSettings
from metagrad.audit.store import MissingTable, TableStore
from metagrad.audit.verdict import ClaimResult

__all__ = ["CLAIMS", "FINDINGS", "Claim", "ClaimResult", "AuditSettings", "TableStore", "MissingTable",
           "evaluate_claims", "run_audit", "compare_folders", "build_report"]

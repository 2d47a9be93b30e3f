"""Finance CSV exports: the drop-folder reader (reader.py) and its sync into ``raw/finance/<entity>`` (sync.py)."""

from connectors.finance.reader import FinanceConfig, FinanceFileReader, scan_drop_folder
from connectors.finance.sync import FINANCE_ENTITIES, sync_finance

__all__ = ["FINANCE_ENTITIES", "FinanceConfig", "FinanceFileReader", "scan_drop_folder", "sync_finance"]

"""The static portfolio dashboard (docs/dashboard.md): HTML pages over the published marts."""

from serving.dashboard.build import PAGES, DashboardResult, build_dashboard

__all__ = ["PAGES", "DashboardResult", "build_dashboard"]

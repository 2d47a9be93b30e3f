"""Every expectation suite, by name. Listing them never imports great-expectations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from quality.inputs import SuiteData
from quality.suites.marts import MART_SUITES
from quality.suites.raw import RAW_SUITES
from quality.suites.spec import Prepared, SuiteInfo
from quality.suites.warehouse import WAREHOUSE_SUITES


class Suite(Protocol):
    """A suite: what it is (``info``) and how it turns its input into a frame and expectations."""

    @property
    def info(self) -> SuiteInfo:
        """Name, layer, target and severity."""
        ...

    def prepare(self, data: SuiteData, params: Mapping[str, Any]) -> Prepared:
        """Read ``data`` into the frame to validate and build the expectations ``params`` call for."""
        ...


ALL_SUITES: tuple[Suite, ...] = (*RAW_SUITES, *MART_SUITES, *WAREHOUSE_SUITES)


def suites() -> list[SuiteInfo]:
    """Every suite: name, layer (raw | marts | warehouse), target and severity (error blocks)."""
    return [suite.info for suite in ALL_SUITES]


def get_suite(name: str) -> Suite:
    """The suite called ``name``; a KeyError lists the known names."""
    for suite in ALL_SUITES:
        if suite.info.name == name:
            return suite
    raise KeyError(f"no expectation suite named {name!r}; known: {', '.join(s.info.name for s in ALL_SUITES)}")


def raw_suite_names(source: str, entity: str) -> list[str]:
    """The suites that validate one raw entity's batches (finance_rejects has two)."""
    target = f"{source}/{entity}"
    return [s.info.name for s in ALL_SUITES if s.info.layer == "raw" and s.info.target == target]

"""The live name check never holds a Slack request for the vendor (issue 15 §2)."""

from __future__ import annotations

import threading
import time

from bot.vendor_names import available_at_vendor
from domain.ports import Capability
from domain.simulated import SimulatedProvider
from domain.vendors.manual import ManualProvider


class SlowVendor(SimulatedProvider):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def name_available(self, name: str) -> bool:
        self.release.wait(5)
        return True


def test_a_slow_vendor_is_left_to_the_submission() -> None:
    vendor = SlowVendor()
    started = time.monotonic()
    try:
        assert available_at_vendor(vendor, "acme-shop", wait=0.05) is None
        assert time.monotonic() - started < 1
    finally:
        vendor.release.set()


def test_the_vendor_answer_is_used_when_it_comes_in_time() -> None:
    vendor = SimulatedProvider()
    assert available_at_vendor(vendor, "acme-shop") is True
    assert available_at_vendor(vendor, "www") is False  # taken at the vendor


def test_a_vendor_without_a_name_check_is_not_asked() -> None:
    manual = ManualProvider()
    assert not manual.supports(Capability.NAME_CHECK)
    assert available_at_vendor(manual, "acme-shop") is None

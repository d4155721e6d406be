"""How tests type pyVmomi managed objects and data objects.

pyVmomi's stubs mark every property Optional, because vCenter may leave any of them unset; the
tests read objects the lab fills in and fail loudly when it does not, so they hold them as
`Managed` (Any) rather than narrowing every attribute access."""

from typing import Any, TypeAlias

Managed: TypeAlias = Any


def fault_message(fault: BaseException) -> str:
    """The message vCenter sent with a fault: pyVmomi sets `msg` on each fault it raises, from
    the SOAP fault string, but its stubs do not declare it."""
    raised: Managed = fault
    return str(raised.msg)

"""The one vSphere connection a provider process shares, and the lookups our resources need.

Settings come from the stack config handed to `configure()` (with environment fallbacks) and are
kept here, at module level, never on a provider instance: providers are pickled into state.
Connections live in the one registry (`providers.connections`), are built lazily under a lock
(the provider host runs up to four calls at once), log in again once when vCenter has dropped the
session, and log out when the process exits.
"""

from __future__ import annotations

import http.client
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from pulumi.dynamic import Config
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from mlaas.settings import VSPHERE, Setting, SettingError
from providers.base import poll
from providers.connections import ConnectionKey, Registry, Trust

log = logging.getLogger(__name__)


T = TypeVar("T")
# A managed object with the properties read from it.
Found = tuple[Any, dict[str, Any]]

# Socket timeout of every SOAP call; pyvmomi otherwise waits forever on a stuck vCenter.
CALL_TIMEOUT_S = 60.0
# Default deadline of a vSphere task (a full clone of a large template can take minutes).
TASK_TIMEOUT_S = 1800.0
# Read-only calls are retried this often after a dropped connection.
READ_RETRIES = 2


class VsphereError(Exception):
    """A vSphere call failed; the message names the object and what was being done."""


class VsphereConfigError(VsphereError):
    """A connection setting is missing or malformed."""


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom we connect; the registry key."""

    host: str
    port: int
    user: str

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    """Everything needed to open a session. The password never appears in repr or logs."""

    endpoint: Endpoint
    password: str = field(repr=False)
    allow_unverified_ssl: bool = False
    ca_bundle: str | None = None


def _require(config: Config | None, setting: Setting, what: str) -> str:
    value = setting.lookup(setting.in_config(config))
    if value is None:
        raise VsphereConfigError(
            f"vSphere {what} is not set: set config key '{setting.key}' or env var {setting.env}"
        )
    return value if isinstance(value, str) else str(value)


def _parse_server(raw: str) -> tuple[str, int]:
    """Accept "host", "host:port" or a URL such as "https://host:port/sdk"."""
    parts = urlsplit(raw if "//" in raw else f"//{raw}")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise VsphereConfigError(f"{VSPHERE.server.label}: bad port in {raw!r}") from exc
    if not parts.hostname:
        raise VsphereConfigError(f"{VSPHERE.server.label}: no host name in {raw!r}")
    return parts.hostname, port


def settings_from_config(config: Config | None) -> Settings:
    """Build connection settings from stack config, falling back to environment variables
    (the table `mlaas.settings.VSPHERE`)."""
    host, port = _parse_server(_require(config, VSPHERE.server, "server"))
    user = _require(config, VSPHERE.username, "user")
    password = _require(config, VSPHERE.password, "password")
    try:
        allow_unverified = VSPHERE.insecure.read(VSPHERE.insecure.in_config(config))
        ca_bundle = VSPHERE.ca_bundle.path(VSPHERE.ca_bundle.in_config(config))
    except SettingError as exc:
        raise VsphereConfigError(str(exc)) from None
    return Settings(Endpoint(host, port, user), password, allow_unverified, ca_bundle)


_settings_lock = threading.Lock()
_configured: Settings | None = None


def configure(config: Config | None) -> None:
    """Remember the settings of this process's stack; called from the providers' `configure()`."""
    global _configured
    settings = settings_from_config(config)
    with _settings_lock:
        _configured = settings


def current_settings() -> Settings:
    """The configured settings, or the environment's when `configure()` never ran."""
    with _settings_lock:
        settings = _configured
    return settings if settings is not None else settings_from_config(None)


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    if settings.allow_unverified_ssl:
        log.warning(
            "TLS certificate checks are OFF for vSphere %s (allowUnverifiedSsl is true)",
            settings.endpoint,
        )
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=settings.ca_bundle)


class _Connection:
    """One session to one endpoint, shared by every thread of this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.si: vim.ServiceInstance | None = None
        self.lock = threading.Lock()

    def get(self) -> vim.ServiceInstance:
        with self.lock:
            if self.si is None:
                self.si = self._login()
            return self.si

    def relogin(self, stale: vim.ServiceInstance) -> vim.ServiceInstance:
        """Replace a session vCenter has forgotten, unless another thread already did."""
        with self.lock:
            if self.si is stale or self.si is None:
                log.info(
                    "vSphere session for %s has expired; logging in again", self.settings.endpoint
                )
                self.si = self._login()
            return self.si

    def close(self) -> None:
        with self.lock:
            si, self.si = self.si, None
        if si is not None:
            try:
                Disconnect(si)
                log.info("logged out of vSphere %s", self.settings.endpoint)
            except Exception as exc:  # noqa: BLE001 - best effort at exit
                log.warning("logout from vSphere %s failed: %s", self.settings.endpoint, exc)

    def _login(self) -> vim.ServiceInstance:
        ep = self.settings.endpoint
        try:
            si = SmartConnect(
                host=ep.host,
                port=ep.port,
                user=ep.user,
                pwd=self.settings.password,
                sslContext=_ssl_context(self.settings),
                httpConnectionTimeout=CALL_TIMEOUT_S,
            )
        except vim.fault.InvalidLogin as exc:
            raise VsphereError(f"vSphere {ep} refused the login: {describe_fault(exc)}") from exc
        except ssl.SSLError as exc:
            raise VsphereError(
                f"TLS check of vSphere {ep.host}:{ep.port} failed ({exc}); set "
                f"{VSPHERE.ca_bundle.label} to the CA that signed its certificate"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise VsphereError(f"cannot reach vSphere {ep.host}:{ep.port}: {exc}") from exc
        log.info("logged in to vSphere %s", ep)
        return si


def _key(settings: Settings) -> ConnectionKey:
    ep = settings.endpoint
    trust = Trust(not settings.allow_unverified_ssl, settings.ca_bundle)
    return ConnectionKey(f"https://{ep.host}:{ep.port}", "", ep.user, trust)


def _retune(conn: _Connection, settings: Settings) -> None:
    # Same endpoint, user and trust, new password: the next login uses it.
    conn.settings = settings


_connections: Registry[Settings, _Connection] = Registry(_Connection, _Connection.close, _retune)


def disconnect_all() -> None:
    """Log out of every endpoint this process used (also run at interpreter exit)."""
    _connections.close_all()


def run(op: Callable[[vim.ServiceInstance], T], *, read_only: bool = False) -> T:
    """Run `op` with this process's session; log in again once if vCenter dropped the session.

    Read-only operations are also retried, with backoff, after a dropped connection. Changes
    are not, since the first attempt may have reached vCenter.
    """
    settings = current_settings()
    conn = _connections.get(_key(settings), settings)
    si = conn.get()
    relogged = False
    attempt = 0
    while True:
        try:
            return op(si)
        except vim.fault.NotAuthenticated:
            if relogged:
                raise
            relogged = True
            si = conn.relogin(si)
        except TimeoutError as exc:
            # Not retried: vCenter already had CALL_TIMEOUT_S to answer.
            raise VsphereError(
                f"vSphere {conn.settings.endpoint} did not answer within {CALL_TIMEOUT_S:.0f}s"
            ) from exc
        except (ConnectionError, http.client.HTTPException) as exc:
            if not read_only or attempt >= READ_RETRIES:
                raise VsphereError(
                    f"connection to vSphere {conn.settings.endpoint} lost: {exc}"
                ) from exc
            attempt += 1
            log.warning("vSphere read failed (%s); retry %d of %d", exc, attempt, READ_RETRIES)
            time.sleep(0.2 * 2**attempt)


_FAULT_BASE_FIELDS = {"msg", "faultCause", "faultMessage", "dynamicType", "dynamicProperty"}


def describe_fault(exc: BaseException) -> str:
    """A vSphere fault as one line: its type, the server's message, else its simple fields."""
    if not isinstance(exc, vmodl.MethodFault):
        return str(exc) or type(exc).__name__
    name = type(exc).__name__
    message = getattr(exc, "msg", None) or "; ".join(
        m.message for m in (exc.faultMessage or []) if m.message
    )
    if not message:
        # Faults such as InvalidPowerState carry their story in fields, not in msg.
        fields = [
            f"{prop.name}={getattr(exc, prop.name)}"
            for prop in exc._GetPropertyList()
            if prop.name not in _FAULT_BASE_FIELDS
            and isinstance(getattr(exc, prop.name, None), str | int | float)
        ]
        message = ", ".join(fields)
    return f"{name}: {message}" if message else name


@contextmanager
def explain(action: str) -> Iterator[None]:
    """Turn a vSphere fault raised in the block into a VsphereError saying what we did."""
    try:
        yield
    except vim.fault.NotAuthenticated:
        raise  # `run` logs in again
    except vmodl.MethodFault as exc:
        raise VsphereError(f"{action} failed: {describe_fault(exc)}") from exc


def moref(si: vim.ServiceInstance, vim_type: type, moid: str) -> Any:
    """A reference to an object by its managed object id, bound to this session."""
    return vim_type(moid, si._stub)


def _collect(si: vim.ServiceInstance, spec: Any) -> list[Any]:
    pc = si.content.propertyCollector
    result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
    objects: list[Any] = []
    while result is not None:
        objects.extend(result.objects or [])
        result = pc.ContinueRetrievePropertiesEx(result.token) if result.token else None
    return objects


def _as_dict(obj_content: Any) -> dict[str, Any]:
    return {prop.name: prop.val for prop in (obj_content.propSet or [])}


def properties(si: vim.ServiceInstance, obj: Any, paths: Sequence[str]) -> dict[str, Any] | None:
    """Read `paths` of one object with the property collector; None when the object is gone.

    The property collector leaves unset properties out instead of failing, unlike attribute
    access, which makes vcsim drop the connection on unset properties.
    """
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=obj, skip=False)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=type(obj), pathSet=list(paths))],
    )
    try:
        found = _collect(si, spec)
    except vmodl.fault.ManagedObjectNotFound:
        return None
    if not found:
        return None
    for missing in found[0].missingSet or []:
        if isinstance(missing.fault, vmodl.fault.ManagedObjectNotFound):
            return None
        if isinstance(missing.fault, vim.fault.NotAuthenticated):
            # An ended session can come back per property instead of as a fault: `run` must
            # see it to log in again, or the object would look as if it had no such values.
            raise missing.fault
    return _as_dict(found[0])


def inventory(
    si: vim.ServiceInstance,
    vim_type: type,
    paths: Sequence[str],
    root: Any = None,
    *,
    recursive: bool = True,
) -> list[Found]:
    """Every object of `vim_type` under `root` (default: the whole inventory) with `paths` read;
    with `recursive=False`, only `root`'s direct children."""
    content = si.content
    assert content.viewManager is not None, "vCenter without a view manager"
    view = content.viewManager.CreateContainerView(
        root or content.rootFolder, [vim_type], recursive
    )
    try:
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[
                vmodl.query.PropertyCollector.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[
                        vmodl.query.PropertyCollector.TraversalSpec(
                            name="view", path="view", skip=False, type=vim.view.ContainerView
                        )
                    ],
                )
            ],
            propSet=[
                vmodl.query.PropertyCollector.PropertySpec(
                    type=vim_type, pathSet=sorted({"name", *paths})
                )
            ],
        )
        return [(oc.obj, _as_dict(oc)) for oc in _collect(si, spec)]
    finally:
        view.DestroyView()


def find_by_name(
    si: vim.ServiceInstance,
    vim_type: type,
    name: str,
    paths: Sequence[str] = (),
    root: Any = None,
    *,
    kind: str,
    scope: str = "",
) -> Found | None:
    """The one object of `vim_type` called `name` (None if there is none; error if several)."""
    # Names only over the view, then `paths` of the match: reading device lists or graphics
    # info of every VM or host in a large inventory to keep one would cost far more than the
    # second call. An object removed while the view is read comes back without its name.
    matches = [obj for obj, props in inventory(si, vim_type, (), root) if props.get("name") == name]
    if len(matches) > 1:
        ids = ", ".join(obj._moId for obj in matches)
        raise VsphereError(
            f"{kind} name '{name}'{scope} is ambiguous: {len(matches)} match ({ids})"
        )
    wanted = sorted({"name", *paths})
    if matches and wanted == ["name"]:
        return matches[0], {"name": name}
    props = properties(si, matches[0], wanted) if matches else None
    return (matches[0], props) if props is not None else None  # None: removed meanwhile


def missing(kind: str, name: str, scope: str = "") -> NoReturn:
    """The error of a lookup that must find its object (`find_by_name(...) or missing(...)`)."""
    raise VsphereError(f"{kind} '{name}' not found{scope}")


def find_host(si: vim.ServiceInstance, name: str, paths: Sequence[str] = ()) -> Found:
    """An ESXi host by its inventory name."""
    return find_by_name(si, vim.HostSystem, name, paths, kind="host") or missing("host", name)


def find_datacenter(si: vim.ServiceInstance, name: str) -> Found:
    """A datacenter by name, with its VM folder."""
    found = find_by_name(si, vim.Datacenter, name, ["vmFolder"], kind="datacenter")
    return found or missing("datacenter", name)


def find_cluster(si: vim.ServiceInstance, datacenter: Any, dc_name: str, name: str) -> Found:
    """A cluster (or standalone compute resource) in a datacenter, with its root resource pool."""
    scope = f" in datacenter '{dc_name}'"
    found = find_by_name(si, vim.ComputeResource, name, ["resourcePool"], datacenter,
                         kind="cluster", scope=scope)
    return found or missing("cluster", name, scope)


def find_datastore(si: vim.ServiceInstance, datacenter: Any, dc_name: str, name: str) -> Found:
    """A datastore in a datacenter."""
    scope = f" in datacenter '{dc_name}'"
    found = find_by_name(si, vim.Datastore, name, (), datacenter, kind="datastore", scope=scope)
    return found or missing("datastore", name, scope)


def find_vm(
    si: vim.ServiceInstance, datacenter: Any, dc_name: str, name: str, paths: Sequence[str] = ()
) -> Found | None:
    """A VM or template in a datacenter, or None."""
    return find_by_name(si, vim.VirtualMachine, name, paths, datacenter, kind="VM",
                        scope=f" in datacenter '{dc_name}'")


def find_folder(si: vim.ServiceInstance, vm_folder: Any, dc_name: str, path: str) -> Any:
    """A VM folder given as "a/b/c" below the datacenter's VM folder."""
    folder = vm_folder
    walked: list[str] = []
    for part in [p for p in path.strip("/").split("/") if p]:
        walked.append(part)
        # One read of the direct subfolders' names (not one call per child).
        children = inventory(si, vim.Folder, (), folder, recursive=False)
        match = [child for child, props in children if props.get("name") == part]
        if not match:
            raise VsphereError(
                f"VM folder '{'/'.join(walked)}' not found in datacenter '{dc_name}'"
            )
        folder = match[0]
    return folder


def poll_until(
    done: Callable[[], bool], deadline: float, timed_out: Callable[[], str], interval: float = 0.5
) -> None:
    """Call `done` until it is true; past `deadline` (a time.monotonic() value) raise a
    VsphereError with the message `timed_out` gives then."""
    while not done():
        if time.monotonic() >= deadline:
            raise VsphereError(timed_out())
        time.sleep(interval)


def wait_for_task(
    si: vim.ServiceInstance, task: Any, action: str, timeout: float = TASK_TIMEOUT_S
) -> Any:
    """Wait for a task by polling with backoff; return its result or raise naming `action`.

    Polling instead of pyVim's WaitForTask: that helper has no deadline, and its property
    filter lives on the shared session, where concurrent waits from other threads would take
    each other's updates.
    """

    def finished() -> tuple[Any] | None:
        info = (properties(si, task, ["info"]) or {}).get("info")
        if info is None:
            raise VsphereError(f"{action}: task {task._moId} disappeared")
        if info.state == vim.TaskInfo.State.success:
            return (info.result,)
        if info.state == vim.TaskInfo.State.error:
            raise VsphereError(f"{action} failed: {describe_fault(info.error)}")
        return None

    done = poll(finished, timeout, first_wait=0.02, max_wait=2.0, factor=1.6)
    if done is None:
        try:
            task.CancelTask()
        except vmodl.MethodFault:
            pass  # not cancelable; report the timeout anyway
        raise VsphereError(f"{action} did not finish within {timeout:.0f}s (task {task._moId})")
    return done[0]


__all__ = [
    "CALL_TIMEOUT_S",
    "Endpoint",
    "Settings",
    "VsphereConfigError",
    "VsphereError",
    "configure",
    "current_settings",
    "describe_fault",
    "disconnect_all",
    "explain",
    "find_cluster",
    "find_datacenter",
    "find_datastore",
    "find_folder",
    "find_host",
    "find_vm",
    "inventory",
    "moref",
    "properties",
    "run",
    "settings_from_config",
    "wait_for_task",
]

"""The one connection registry (providers/connections.py) every backend keys by ConnectionKey."""

from __future__ import annotations

from providers.connections import ConnectionKey, Registry, Trust

KEY = ConnectionKey("https://vra", "t", "svc", Trust())


class Client:
    def __init__(self, settings: str) -> None:
        self.settings = settings
        self.closed = False


def close(client: Client) -> None:
    client.closed = True


def test_one_client_per_key_a_new_one_for_new_settings_all_closed_at_exit() -> None:
    registry: Registry[str, Client] = Registry(Client, close)
    first = registry.get(KEY, "password-1")
    assert registry.get(KEY, "password-1") is first
    unverified = registry.get(ConnectionKey("https://vra", "t", "svc", Trust(verify=False)), "x")
    assert unverified is not first  # another trust never shares a connection
    second = registry.get(KEY, "password-2")  # a later configure() changed the credentials
    assert second is not first and not first.closed  # a call in flight may still use it
    registry.close_all()
    assert first.closed and second.closed and unverified.closed
    assert registry.get(KEY, "password-2") is not second  # forgotten after close_all


def test_retune_keeps_the_client_and_hands_it_the_new_settings() -> None:
    def retune(client: Client, settings: str) -> None:
        client.settings = settings

    registry: Registry[str, Client] = Registry(Client, close, retune)
    first = registry.get(KEY, "password-1")
    assert registry.get(KEY, "password-2") is first and first.settings == "password-2"
    registry.close_all()
    assert first.closed

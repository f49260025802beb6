"""Who gets in to the production broker: passwords on both listeners, TLS verified end to end, and
mutual TLS when it is switched on."""

from __future__ import annotations

import socket
import ssl

import pytest

from pigw.contract import Topics
from tests.broker.accounts import LOGIN_REFUSED, NOT_AUTHORIZED, Account, LoginRefused
from tests.broker.conftest import ProductionBroker, StartBroker
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
TOPICS = Topics()


def test_a_wrong_password_is_refused_on_both_listeners(
    production_broker: ProductionBroker,
) -> None:
    tls = production_broker.installation.tls_context()
    for port, context in [(production_broker.port, None), (production_broker.tls_port, tls)]:
        with pytest.raises(LoginRefused) as refused:
            Account(port, "dev1", "not-the-password", tls=context)
        assert refused.value.reason.value in LOGIN_REFUSED
        # Another account's (correct) password is just as wrong.
        with pytest.raises(LoginRefused):
            Account(port, "dev1", production_broker.installation.password("dev2"), tls=context)
    assert "not authorised" in production_broker.mosquitto.log()


def test_an_unknown_account_is_refused(production_broker: ProductionBroker) -> None:
    with pytest.raises(LoginRefused) as refused:
        Account(production_broker.port, "dev9", production_broker.installation.password("dev1"))
    assert refused.value.reason.value in LOGIN_REFUSED


def test_anonymous_clients_are_refused_even_on_the_loopback_listener(
    production_broker: ProductionBroker,
) -> None:
    with pytest.raises(LoginRefused) as refused:
        Account(production_broker.port)
    assert refused.value.reason.value in LOGIN_REFUSED
    with pytest.raises(LoginRefused):
        Account(production_broker.tls_port, tls=production_broker.installation.tls_context())
    # A user name without a password is not a login either.
    with pytest.raises(LoginRefused):
        Account(production_broker.port, "dev1")


def test_readings_travel_end_to_end_over_verified_tls(
    production_broker: ProductionBroker,
) -> None:
    gateway = production_broker.login("_gateway", tls=True)
    device = production_broker.login("dev1", tls=True)
    for account in (gateway, device):
        tls_socket = account.client.socket()
        assert isinstance(tls_socket, ssl.SSLSocket)
        assert tls_socket.version() in ("TLSv1.2", "TLSv1.3")
        # The broker proved it holds the key of the certificate our CA signed for 127.0.0.1.
        peer = tls_socket.getpeercert()
        assert ("IP Address", "127.0.0.1") in peer["subjectAltName"]
    gateway.subscribe(TOPICS.all_filter())
    topic = TOPICS.state("dev1", "temp1")
    assert not device.publish(topic, b'{"value": 1}').is_failure
    assert gateway.wait_for(topic)[0].payload == b'{"value": 1}'
    # The ACL holds on the TLS listener as well.
    assert device.publish(TOPICS.state("dev2", "temp1"), b"forged").value == 135


def test_a_client_that_does_not_trust_our_ca_does_not_connect(
    production_broker: ProductionBroker,
) -> None:
    password = production_broker.installation.password("dev1")
    foreign = ssl.create_default_context(cafile=str(production_broker.installation.foreign_ca))
    with pytest.raises(ssl.SSLCertVerificationError):
        Account(production_broker.tls_port, "dev1", password, tls=foreign)
    # Nor does one with the system's public CAs: a private CA is trusted only where it is installed.
    with pytest.raises(ssl.SSLCertVerificationError):
        Account(production_broker.tls_port, "dev1", password, tls=ssl.create_default_context())


def test_the_broker_answers_to_every_name_in_its_certificate(
    production_broker: ProductionBroker,
) -> None:
    # make-certs.sh put both names in subjectAltName; clients may use either.
    device = Account(
        production_broker.tls_port,
        "dev1",
        production_broker.installation.password("dev1"),
        tls=production_broker.installation.tls_context(),
        host="localhost",
    )
    assert not device.publish(TOPICS.status("dev1"), b"online").is_failure


def test_mutual_tls_wants_a_client_certificate_as_well_as_the_password(
    start_production_broker: StartBroker,
) -> None:
    broker = start_production_broker({"require_certificate false": "require_certificate true"})
    # Without a client certificate: TLS 1.3 finishes the client's side of the handshake, then the
    # broker's "certificate required" alert (RFC 8446 §4.4.2.4) arrives on the first read.
    context = broker.installation.tls_context()
    with (
        socket.create_connection(("127.0.0.1", broker.tls_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        pytest.raises(ssl.SSLError, match=r"CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE"),
    ):
        tls.recv(1)
    device = broker.login("dev1", client_cert="dev1")
    assert not device.publish(TOPICS.status("dev1"), b"online").is_failure
    # The certificate is not a password: a wrong one still gets nobody in.
    with pytest.raises(LoginRefused):
        Account(
            broker.tls_port,
            "dev1",
            "wrong",
            tls=broker.installation.tls_context(client_cert="dev1"),
        )


def test_a_device_cannot_take_over_the_gateways_session(
    production_broker: ProductionBroker,
) -> None:
    # Without use_username_as_clientid, dev1 connecting as "pigw-gateway-gw1" disconnected the
    # gateway and Mosquitto threw away its session, with the reading queued in it.
    gateway_id = "pigw-gateway-gw1"
    gateway = production_broker.login("_gateway", client_id=gateway_id, session_expiry=3600)
    gateway.subscribe(TOPICS.all_filter())
    gateway.close()
    device = production_broker.login("dev2")
    queued = TOPICS.state("dev2", "temp1")
    device.publish(queued, b'{"value": 1}')

    intruder = production_broker.login("dev1", client_id=gateway_id, session_expiry=3600)
    back = production_broker.login("_gateway", client_id=gateway_id, session_expiry=3600)
    assert back.wait_for(queued)[0].payload == b'{"value": 1}'
    # Each is its own client: the gateway's return did not disconnect the intruder, nor the other
    # way round.
    assert intruder.client.is_connected()
    intruder.publish(TOPICS.status("dev1"), b"online")
    back.wait_for(TOPICS.status("dev1"))
    assert back.client.is_connected()


def test_an_account_has_one_connection_at_a_time(production_broker: ProductionBroker) -> None:
    # The price of the rule above: a second login of the same account replaces the first, so each
    # gateway replica and each consumer needs an account of its own.
    first = production_broker.login("_homeassistant")
    production_broker.login("_homeassistant")
    wait_until(lambda: not first.client.is_connected(), 10, "the first connection to be closed")


def test_with_use_identity_as_username_a_device_certificate_logs_in_only_as_that_device(
    start_production_broker: StartBroker,
) -> None:
    # Issue 17 (9): with mutual TLS alone, dev1's certificate could log in with dev2's password
    # and act as dev2; the certificate said nothing about the account.
    broker = start_production_broker(
        {
            "require_certificate false": "require_certificate true",
            "#use_identity_as_username true": "use_identity_as_username true",
        }
    )
    watcher = broker.login("_gateway")  # the loopback listener: password as before
    watcher.subscribe(TOPICS.all_filter())
    # dev1's certificate, presenting dev2's name and password: the broker takes the CN, dev1.
    impostor = Account(
        broker.tls_port,
        "dev2",
        broker.installation.password("dev2"),
        tls=broker.installation.tls_context(client_cert="dev1"),
    )
    assert impostor.publish(TOPICS.status("dev2"), b"online").value == NOT_AUTHORIZED
    assert not impostor.publish(TOPICS.status("dev1"), b"online").is_failure
    assert [m.topic for m in watcher.wait_for(TOPICS.status("dev1"))] == [TOPICS.status("dev1")]
    assert TOPICS.status("dev2") not in {m.topic for m in watcher.messages}

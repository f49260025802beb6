"""Who gets in to the production broker: passwords on both listeners, TLS verified end to end, and
mutual TLS when it is switched on."""

from __future__ import annotations

import socket
import ssl

import pytest

from pigw.contract import Topics
from tests.broker.accounts import LOGIN_REFUSED, Account, LoginRefused
from tests.broker.conftest import ProductionBroker, StartBroker

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

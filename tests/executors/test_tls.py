"""``DaskExecutor(address="tls://...", security=Security(...))`` against a TLS-only scheduler and workers.

The certificate authority and the certificates are made in the test
(``cryptography``); the scheduler and workers are real ``dask`` processes on
127.0.0.1 that accept only TLS clients holding a certificate that CA signed.
"""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from executors import DaskExecutor, ExecutorError
from orchestrator import flow, task
from tests.processes import DASK, free_port, stop

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def _write_pki(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA, and a key and certificate it signed for 127.0.0.1 (server and client use); their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"daskflow test CA {name}")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / f"{name}-ca.pem", folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture
def tls_cluster(tmp_path: Path, home: Path) -> Iterator[tuple[str, tuple[Path, Path, Path]]]:
    """A TLS-only scheduler and two workers on 127.0.0.1; its tls:// address and the PKI files."""
    pki = _write_pki(tmp_path, "good")
    ca, cert, key = (str(p) for p in pki)
    tls = ["--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key]
    port = free_port()
    address = f"tls://127.0.0.1:{port}"
    log = (tmp_path / "tls-cluster.log").open("ab")
    processes = [
        subprocess.Popen(
            [
                DASK,
                "scheduler",
                "--protocol",
                "tls",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
                *tls,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    ]
    try:
        for i in range(2):
            argv = [DASK, "worker", address, "--host", "127.0.0.1", "--no-nanny", "--no-dashboard", "--name", f"t{i}"]
            processes.append(subprocess.Popen([*argv, *tls], stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path))
        yield address, pki
    finally:
        from executors.dask_cluster import close_clients

        close_clients(address)
        for process in reversed(processes):
            stop(process)
        log.close()


@task
def cube(x: int) -> int:
    return x**3


@task
def add(values: list[int]) -> int:
    return sum(values)


def test_a_flow_runs_over_tls_with_certificates_from_a_test_ca(
    tls_cluster: tuple[str, tuple[Path, Path, Path]], tmp_path: Path
) -> None:
    """Security(ca, client cert, key, require_encryption) connects to the tls:// scheduler and runs the flow."""
    from distributed.security import Security

    address, (ca, cert, key) = tls_cluster
    security = Security(
        tls_ca_file=str(ca), tls_client_cert=str(cert), tls_client_key=str(key), require_encryption=True
    )
    executor = DaskExecutor(address=address, security=security, connect_timeout=30)
    executor.client.wait_for_workers(2, timeout=120)

    @flow(executor=executor)
    def cubes(n: int) -> int:
        return add([cube(i) for i in range(n)])

    run = cubes.run(n=6)
    assert run.result() == sum(i**3 for i in range(6))
    assert {tr.worker.split("://")[0] for tr in run.task_runs.values() if tr.worker} == {"tls"}


def test_a_certificate_from_another_ca_is_refused_with_a_clear_error(
    tls_cluster: tuple[str, tuple[Path, Path, Path]], tmp_path: Path
) -> None:
    """A client whose certificate another CA signed cannot connect: a clear error within the connect timeout."""
    from distributed.security import Security

    address, _ = tls_cluster
    ca, cert, key = _write_pki(tmp_path, "stranger")
    security = Security(
        tls_ca_file=str(ca), tls_client_cert=str(cert), tls_client_key=str(key), require_encryption=True
    )
    with pytest.raises(ExecutorError, match=r"127\.0\.0\.1"):
        DaskExecutor(address=address, security=security, connect_timeout=5).start()

"""Authorization in the stand-in API, with the real kubectl and the ingress_forward role's Role.

microk8s runs kube-apiserver with --authorization-mode=AlwaysAllow
(canonical/microk8s microk8s-resources/default-args/kube-apiserver) until
`microk8s enable rbac` sets RBAC,Node (canonical/microk8s-core-addons
addons/rbac/enable). Without RBAC the port-forward's ServiceAccount token may
do anything; with it, the Role of roles/ingress_forward/templates/rbac.yml.j2
allows the port-forward and nothing else.

kubectl sends a bearer token over TLS only, so the stand-in API serves HTTPS
here, with a certificate made by openssl (skipped without it).
"""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
import stand_in_api
import yaml

from fakek8s import apiserver, client, microk8s_cli, paths

ROOT = Path(__file__).resolve().parent.parent
RBAC_TEMPLATE = ROOT / "roles/ingress_forward/templates/rbac.yml.j2"
NAMESPACE = "kubeflow"
ACCOUNT = "hpo-rig-ingress-forward"


def _until(what: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


class Cluster:
    def __init__(self, kubectl: Path, home: Path, server: str, ca: Path) -> None:
        self.kubectl = kubectl
        self.home = home
        self.server = server
        self.ca = ca

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """The stand-in's own client: no token, hence system:masters (as its components)."""
        return client.request(method, path, body, server=self.server)

    def kubeconfig(self, token: str) -> Path:
        path = self.home / f"kubeconfig-{len(token)}-{token[:6]}"
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "fake",
                            "cluster": {
                                "server": self.server,
                                "certificate-authority": str(self.ca),
                            },
                        }
                    ],
                    "users": [{"name": "sa", "user": {"token": token}}],
                    "contexts": [
                        {
                            "name": "fake",
                            "context": {"cluster": "fake", "user": "sa", "namespace": NAMESPACE},
                        }
                    ],
                    "current-context": "fake",
                }
            )
        )
        return path

    def kubectl_run(self, token: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.kubectl), f"--kubeconfig={self.kubeconfig(token)}", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"HOME": str(self.home)},
            check=False,
        )

    def token(self) -> str:
        def read() -> str:
            secret = self.admin("GET", f"/api/v1/namespaces/{NAMESPACE}/secrets/{ACCOUNT}-token")
            return str(secret.get("data", {}).get("token", ""))

        return base64.b64decode(_until(read)).decode()


@pytest.fixture
def cluster(
    kubectl_binary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cluster]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the stand-in API's TLS certificate")
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    args = tmp_path / "args"
    args.mkdir()
    # The snap's default args (stand-in snap_cli.APISERVER): AlwaysAllow.
    (args / "kube-apiserver").write_text("--secure-port=16443\n--authorization-mode=AlwaysAllow\n")
    monkeypatch.setattr(paths, "ARGS", args)
    monkeypatch.setattr(paths, "STATE", tmp_path / "state")
    # The stand-in's own client trusts the test certificate.
    context = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(
        urllib.request,
        "urlopen",
        _with_context(urllib.request.urlopen, context),
    )
    home = tmp_path / "home"
    home.mkdir()
    with stand_in_api.serving(tmp_path / "db.json", tls=(cert, key)) as port:
        fake = Cluster(kubectl_binary, home, f"https://127.0.0.1:{port}", cert)
        _workload(fake)
        yield fake


def _with_context(urlopen: Callable[..., Any], context: Any) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("context", context)
        return urlopen(*args, **kwargs)

    return wrapped


def _workload(fake: Cluster) -> None:
    """A Ready node, the namespace, a Deployment and its Service, and the role's RBAC objects."""
    fake.admin("POST", "/api/v1/nodes", {"metadata": {"name": "node-1"}})
    node = fake.admin("GET", "/api/v1/nodes/node-1")
    node["status"] = {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "lastHeartbeatTime": apiserver.now(),
                "lastTransitionTime": apiserver.now(),
            }
        ]
    }
    fake.admin("PUT", "/api/v1/nodes/node-1/status", node)
    fake.admin("POST", "/api/v1/namespaces", {"metadata": {"name": NAMESPACE}})
    labels = {"app": "katib-ui"}
    fake.admin(
        "POST",
        f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments",
        {
            "metadata": {"name": "katib-ui", "namespace": NAMESPACE},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {"name": "ui", "image": "katib-ui", "ports": [{"containerPort": 8080}]}
                        ]
                    },
                },
            },
        },
    )
    fake.admin(
        "POST",
        f"/api/v1/namespaces/{NAMESPACE}/services",
        {
            "metadata": {"name": "katib-ui", "namespace": NAMESPACE},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
        },
    )
    text = jinja2.Template(RBAC_TEMPLATE.read_text()).render(
        ingress_forward_service_account=ACCOUNT, ingress_forward_namespace=NAMESPACE
    )
    plurals = {
        "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
        "Secret": "/api/v1/namespaces/{ns}/secrets",
        "Role": "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
        "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
    }
    for document in yaml.safe_load_all(text):
        fake.admin("POST", plurals[document["kind"]].format(ns=NAMESPACE), document)

    def running() -> bool:
        pods = fake.admin("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
        return any(p["status"].get("phase") == "Running" for p in pods)

    _until(running)


def _enable_rbac(capsys: pytest.CaptureFixture[str]) -> str:
    assert microk8s_cli._enable_one("rbac", [], {}) == 0
    return capsys.readouterr().out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_forward(fake: Cluster, token: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    process = subprocess.Popen(
        [
            *(str(fake.kubectl), f"--kubeconfig={fake.kubeconfig(token)}", "port-forward"),
            *("--address=127.0.0.1", "svc/katib-ui", f"{port}:80"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"HOME": str(fake.home)},
    )
    return process, port


def _page(port: int) -> str:
    def fetch() -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/katib/", timeout=5) as answer:
                return str(answer.read().decode())
        except OSError:
            return ""

    return str(_until(fetch, 30))


def test_without_rbac_the_forwards_token_may_do_anything(cluster: Cluster) -> None:
    token = cluster.token()
    result = cluster.kubectl_run(token, "get", "secrets", "--namespace=kube-system")
    assert result.returncode == 0, result.stderr
    # Cluster-scoped writes too: the token is cluster-admin in effect.
    result = cluster.kubectl_run(token, "delete", "namespace", "kube-public")
    assert result.returncode == 0, result.stderr


def test_an_unknown_token_is_refused_once_rbac_is_on(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    _enable_rbac(capsys)
    result = cluster.kubectl_run("not-a-token", "get", "pods")
    assert result.returncode != 0
    assert "Unauthorized" in result.stderr or "must be logged in" in result.stderr


def test_with_rbac_the_role_allows_the_port_forward_and_nothing_else(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _enable_rbac(capsys)
    assert "Enabling RBAC" in out
    assert "RBAC is enabled" in out
    assert "--authorization-mode=RBAC,Node" in (paths.ARGS / "kube-apiserver").read_text()
    token = cluster.token()
    denied = cluster.kubectl_run(token, "get", "secrets")
    assert denied.returncode != 0
    assert (
        f'secrets is forbidden: User "system:serviceaccount:{NAMESPACE}:{ACCOUNT}" cannot list '
        f'resource "secrets" in API group "" in the namespace "{NAMESPACE}"'
    ) in denied.stderr
    assert cluster.kubectl_run(token, "get", "pods").returncode == 0
    process, port = _port_forward(cluster, token)
    try:
        page = _page(port)
        assert f"{NAMESPACE}/katib-ui-" in page
        assert ":8080 /katib/" in page
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_with_rbac_a_role_without_portforward_stops_the_forward(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    _enable_rbac(capsys)
    role = cluster.admin(
        "GET", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NAMESPACE}/roles/{ACCOUNT}"
    )
    role["rules"] = [r for r in role["rules"] if "pods/portforward" not in r["resources"]]
    cluster.admin(
        "PUT", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NAMESPACE}/roles/{ACCOUNT}", role
    )
    process, _ = _port_forward(cluster, cluster.token())
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"the forward ran without pods/portforward: {err}") from None
    assert process.returncode != 0
    assert 'cannot create resource "pods/portforward"' in err or "forbidden" in err.lower(), err

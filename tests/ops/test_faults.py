"""Faults under load, against the tests' own PostgreSQL: two instances issue certificates for
a stream of records while one is killed with SIGKILL and the database crashes and restarts.
Clients retry as a client should (another instance, the same request: records are stored
once per sender record id, certificates once per record and format). Afterwards every answer
of success is in the database exactly once, no request got a 500, and the surviving instance
serves again without a restart."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from tests.ops.cluster import Cluster
from tests.ops.conftest import api_key
from tests.ops.instances import Instance
from tests.service import samples

CLIENTS = 6
KILL_AT, CRASH_AT, RESTART_AT, LOAD_SECONDS = 3.0, 6.0, 8.0, 16.0
RETRYABLE = {502, 503, 504}


@dataclass
class Outcomes:
    """What the clients were told: sender record id -> (record id, certificate id, UVCI)."""

    records: dict[str, int] = field(default_factory=dict)
    certificates: dict[str, tuple[int, str]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    retried: int = 0
    issued_at: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Load:
    """CLIENTS threads, each reporting records and issuing their certificates until told to
    stop; a request that gets no answer or a 503 goes again, to the next live instance."""

    def __init__(self, instances: list[Instance], keys: dict[str, dict[str, str]]) -> None:
        self.instances = instances
        self.keys = keys
        self.dead: set[int] = set()
        self.stop = threading.Event()
        self.outcomes = Outcomes()
        self.started = time.monotonic()

    def client(self, number: int) -> None:
        with httpx.Client(timeout=10) as http:
            serial = 0
            while not self.stop.is_set():
                serial += 1
                self.one(http, f"fault-{number}-{serial}-{secrets.token_hex(3)}", number + serial)

    def one(self, http: httpx.Client, sender_id: str, turn: int) -> None:
        record = {**samples.record(), "record_id": sender_id}
        stored = self.send(http, turn, "/records", record, "recorder", {200, 201})
        if stored is None:
            return
        record_id = int(stored.json()["id"])
        with self.outcomes.lock:
            self.outcomes.records[sender_id] = record_id
        path = f"/records/{record_id}/certificates"
        issued = self.send(http, turn, path, {"format": "eu-dcc"}, "issuer", {200, 201})
        if issued is not None:
            with self.outcomes.lock:
                self.outcomes.certificates[sender_id] = (issued.json()["id"], issued.json()["uvci"])
                self.outcomes.issued_at.append(time.monotonic() - self.started)

    def send(
        self, http: httpx.Client, turn: int, path: str, body: object, role: str, ok: set[int]
    ) -> httpx.Response | None:
        """The first success answer, or None when the load stops first."""
        while not self.stop.is_set():
            live = [n for n in range(len(self.instances)) if n not in self.dead]
            instance = self.instances[live[turn % len(live)]]
            turn += 1
            try:
                answer = http.post(f"{instance.base}{path}", json=body, headers=self.keys[role])
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code in ok:
                return answer
            if answer is not None and answer.status_code not in RETRYABLE:
                with self.outcomes.lock:
                    self.outcomes.unexpected.append(f"{answer.status_code} {answer.text[:200]}")
            with self.outcomes.lock:
                self.outcomes.retried += 1
            time.sleep(0.1)
        return None


Stored = tuple[dict[str, list[int]], dict[int, list[tuple[int, str]]]]


def _stored(cluster: Cluster, database: str) -> Stored:
    """Records by sender record id, and certificates (id, UVCI) by record id."""
    name = database.rsplit("/", 1)[1]
    records: dict[str, list[int]] = {}
    certificates: dict[int, list[tuple[int, str]]] = {}
    with psycopg.connect(cluster.dsn(name)) as connection:
        for record_id, sender_id in connection.execute("SELECT id, sender_record_id FROM records"):
            records.setdefault(sender_id, []).append(record_id)
        query = "SELECT id, record_id, uvci FROM certificates WHERE format = 'eu-dcc'"
        for certificate_id, record_id, uvci in connection.execute(query):
            certificates.setdefault(record_id, []).append((certificate_id, uvci))
    return records, certificates


def _wait(until: float, load: Load) -> None:
    time.sleep(max(0.0, until - (time.monotonic() - load.started)))


def test_every_success_is_stored_once_through_a_killed_instance_and_a_database_crash(
    cluster: Cluster, database: str, service_env: dict[str, str], tmp_path: Path
) -> None:
    doomed = Instance(service_env, database, tmp_path / "doomed.log")
    survivor = Instance(service_env, database, tmp_path / "survivor.log")
    keys = {role: api_key(service_env, database, role) for role in ("recorder", "issuer")}
    load = Load([doomed, survivor], keys)
    clients = [threading.Thread(target=load.client, args=(n,)) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    try:
        _wait(KILL_AT, load)
        doomed.kill()
        load.dead.add(0)
        _wait(CRASH_AT, load)
        cluster.stop("immediate")  # a crash: no checkpoint, recovery from the WAL at start
        down = httpx.get(f"{survivor.base}/ready", timeout=10)
        assert down.status_code == 503 and down.json()["status"] == "unavailable"
        scraped = httpx.get(f"{survivor.origin}/metrics", timeout=10)
        assert scraped.status_code == 200
        assert "\nhealthcert_database_up 0.0\n" in scraped.text
        _wait(RESTART_AT, load)
        cluster.start()
        _wait(LOAD_SECONDS, load)
    finally:
        load.stop.set()
        for client in clients:
            client.join(timeout=60)
    try:
        outcomes = load.outcomes
        print(  # shown with -s: the size of the run
            f"{len(outcomes.records)} records, {len(outcomes.certificates)} certificates, "
            f"{outcomes.retried} retries"
        )
        assert outcomes.unexpected == []
        # The faults happened under load, and the service issued again after the restart.
        assert len(outcomes.certificates) > 20
        assert any(moment > RESTART_AT + 0.5 for moment in outcomes.issued_at)
        records, certificates = _stored(cluster, database)
        for sender_id, record_id in outcomes.records.items():
            assert records[sender_id] == [record_id]
        for sender_id, answered in outcomes.certificates.items():
            assert certificates[outcomes.records[sender_id]] == [answered]
        # Recovered without a restart: the same process answers, ready, and issues.
        assert survivor.process.poll() is None
        assert httpx.get(f"{survivor.base}/ready", timeout=10).status_code == 200
        fresh = load.one
        load.stop.clear()
        with httpx.Client(timeout=10) as http:
            fresh(http, "after-the-faults", 1)
        assert "after-the-faults" in load.outcomes.certificates
    finally:
        assert survivor.stop() == 0
        doomed.stop()

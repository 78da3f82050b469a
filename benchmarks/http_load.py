"""HTTP load for the benchmarks: keep-alive clients in separate processes, and latency statistics.

Each client is a process with one keep-alive ``http.client`` connection
that sends its next request as soon as the previous response is read
(a closed loop). Processes rather than threads keep the client's GIL out
of the measured latencies. Every client first sends requests for a
warm-up period, whose timings are dropped, then for the measured period.
"""

from __future__ import annotations

import http.client
import math
import multiprocessing
import socket
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None


# Returns the request to send as the n-th of an operation. Clients share
# the numbering, so that no two of them send the same n.
RequestSource = Callable[[int], Request]


@dataclass(frozen=True)
class Timing:
    """Latencies in seconds, and the period they were measured in.

    A latency is usually one request's. Where it covers several, such as a
    round of 20 creates, ``request_count`` gives the number of requests.
    """

    latencies: list[float]
    period_seconds: float
    request_count: int | None = None
    # Responses with another status than expected, which have no latency above.
    errors: int = 0
    first_error: str | None = None

    @property
    def requests_per_second(self) -> float:
        count = len(self.latencies) if self.request_count is None else self.request_count
        return count / self.period_seconds

    def percentile_ms(self, percent: float) -> float:
        """Return the nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(percent / 100 * len(ordered)))
        return ordered[rank - 1] * 1000

    def summary(self) -> dict[str, float]:
        return {
            "samples": len(self.latencies),
            "requests_per_second": self.requests_per_second,
            "p50_ms": self.percentile_ms(50),
            "p95_ms": self.percentile_ms(95),
            "p99_ms": self.percentile_ms(99),
            "errors": self.errors,
            "first_error": self.first_error,
        }


def connect(port: int) -> http.client.HTTPConnection:
    """Open a keep-alive connection to 127.0.0.1:``port`` with Nagle's algorithm off."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def send(
    connection: http.client.HTTPConnection, request: Request, headers: dict[str, str]
) -> tuple[int, bytes]:
    """Send ``request`` and return the response status and body."""
    request_headers = dict(headers)
    if request.body is not None:
        request_headers["Content-Type"] = "application/json"
    connection.request(request.method, request.path, request.body, request_headers)
    response = connection.getresponse()
    return response.status, response.read()


def _client(
    port: int,
    source: RequestSource,
    headers: dict[str, str],
    expected_status: int,
    first_number: int,
    step: int,
    start: float,
    measure_from: float,
    stop: float,
    results: Any,
) -> None:
    latencies = array("d")
    unexpected = 0
    first_unexpected = None
    error = None
    try:
        connection = connect(port)
        while time.monotonic() < start:
            time.sleep(0.001)
        number = first_number
        while True:
            began = time.monotonic()
            if began >= stop:
                break
            request = source(number)
            number += step
            status, body = send(connection, request, headers)
            ended = time.monotonic()
            if began < measure_from:
                continue
            if status == expected_status:
                latencies.append(ended - began)
                continue
            unexpected += 1
            if first_unexpected is None:
                first_unexpected = (
                    f"{request.method} {request.path} returned {status}, expected "
                    f"{expected_status}: {body[:300].decode('utf-8', 'replace')}"
                )
        connection.close()
    except (OSError, http.client.HTTPException) as exception:
        error = f"the client failed: {exception!r}"
    results.send((latencies.tobytes(), unexpected, first_unexpected, error))
    results.close()


def measure(
    port: int,
    source: RequestSource,
    headers: dict[str, str],
    *,
    clients: int,
    warmup_seconds: float,
    duration_seconds: float,
    expected_status: int = 200,
) -> Timing:
    """Run ``clients`` closed-loop clients against the server and return the measured latencies.

    Responses with another status than ``expected_status`` are counted as
    errors, with the first one kept for the report.

    :raises SystemExit: when a client fails, for example on a closed connection.
    """
    # Fork, so that ``source`` may be any callable, closures included.
    context = multiprocessing.get_context("fork")
    # Time for every client process to start and connect before the load begins.
    start = time.monotonic() + 0.5
    measure_from = start + warmup_seconds
    stop = measure_from + duration_seconds
    processes = []
    pipes = []
    for client in range(clients):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_client,
            args=(
                port,
                source,
                headers,
                expected_status,
                client,
                clients,
                start,
                measure_from,
                stop,
                sender,
            ),
        )
        process.start()
        sender.close()
        processes.append(process)
        pipes.append(receiver)

    latencies: list[float] = []
    unexpected = 0
    first_unexpected = None
    failures: list[str] = []
    for receiver, process in zip(pipes, processes, strict=True):
        try:
            data, client_unexpected, client_first, failure = receiver.recv()
        except EOFError:
            data, client_unexpected, client_first = b"", 0, None
            failure = f"client process {process.pid} exited without results"
        process.join()
        values = array("d")
        values.frombytes(data)
        latencies.extend(values)
        unexpected += client_unexpected
        first_unexpected = first_unexpected or client_first
        if failure:
            failures.append(failure)
    if failures:
        raise SystemExit(f"{len(failures)} of {clients} clients failed; first: {failures[0]}")
    return Timing(latencies, duration_seconds, errors=unexpected, first_error=first_unexpected)

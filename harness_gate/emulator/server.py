"""HTTP front of the emulator: the real server's endpoints, answers and faults, plus /_emulator/."""

from __future__ import annotations

import copy
import email.parser
import email.policy
import html
import json
import re
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from harness_gate.emulator import messages as m
from harness_gate.emulator.api import Context, Prepared, prepare, run, top_level_fields
from harness_gate.emulator.fixture import EDITIONS_WITHOUT_API, FixtureSource, load_fixtures
from harness_gate.emulator.nextgen import NextGen, route_of
from harness_gate.emulator.nextgen.envelopes import NgResponse
from harness_gate.emulator.state import SHAPING_KINDS, Fault, FaultError, State, make_fault

GRAPHQL_PATHS = ("/api/graphql", "/gateway/api/graphql")
_ABORT_PATH = re.compile(r"^(?:/gateway)?/api/executions/([^/]+)$")
_REDACTED = "<redacted>"
# ExternalApiRateLimitingServiceImpl: 50 per minute per key, reported as QPS * 3.
REST_THROTTLED = "Too Many requests. Throttled. Max QPS: 2.5"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: Optional[str] = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    rate_limited: bool = False  # refused by a rate limiter (for the request log)


def _json(status: int, payload: Any, headers: Optional[dict[str, str]] = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, "application/json", headers or {})


def _text(status: int, text: str, content_type: str = "text/plain") -> Response:
    return Response(status, text.encode(), content_type)


def rest_envelope(
    status: int, code: Optional[str] = None, message: Optional[str] = None, resource: Any = None
) -> Response:
    """Harness's RestResponse: {metaData, resource, responseMessages}."""
    messages: list[dict[str, Any]] = []
    if code is not None:
        messages.append(
            {
                "code": code,
                "level": "ERROR",
                "message": message,
                "exception": None,
                "failureTypes": [],
            }
        )
    return _json(status, {"metaData": None, "resource": resource, "responseMessages": messages})


def _unauthorized() -> Response:
    response = rest_envelope(401, "INVALID_TOKEN", "Token is not valid.")
    response.headers["X-Harness-Error"] = "INVALID_TOKEN"
    return response


def _rate_limited() -> Response:
    # A GraphQL-shaped body, and no Retry-After.
    return _json(429, {"errors": [{"message": m.RATE_LIMITED, "locations": []}]})


def _feature_not_enabled() -> Response:
    # COMMUNITY and ESSENTIALS accounts have no REST_API feature: 400, GraphQL-shaped.
    return _json(400, {"errors": [{"message": m.FEATURE_NOT_ENABLED, "locations": []}]})


def _shape(ctx: Context, fault: Fault) -> None:
    """Faults that change how the request is carried out."""
    if fault.kind == "start_null":
        ctx.start_null = True
    elif fault.kind == "start_delay":
        ctx.start_delay = float(fault.params["seconds"])
    elif fault.kind == "start_error":
        ctx.start_error = str(fault.params.get("message", m.GENERIC))
        ctx.start_delay = float(fault.params.get("seconds", 0.0))
    elif fault.kind == "slow_fields":
        ctx.field_seconds = float(fault.params["seconds"])


def _load_balancer_page(status: int) -> Response:
    reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}[
        status
    ]
    page = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return _text(status, page, "text/html")


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: Any  # http.client.HTTPMessage: case-insensitive
    body: bytes

    def param(self, name: str) -> Optional[str]:
        values = self.params.get(name)
        return values[0] if values else None

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


@dataclass
class _Described:
    """What the emulator can tell about a request before deciding how to answer it."""

    kind: str
    fields: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    operation: Optional[str] = None
    variables: Any = None
    query: Any = None
    prepared: Optional[Prepared] = None
    body_error: Optional[str] = None  # the JSON body could not be read
    body: Any = None


class Responder:
    """Turns one request into one response; every method is safe to call from many threads."""

    def __init__(
        self, state: State, stopping: threading.Event, nextgen: Optional[NextGen] = None
    ) -> None:
        self.state = state
        self.stopping = stopping
        self.nextgen = nextgen if nextgen is not None else NextGen(state)

    # -- the real server's endpoints -------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        state = self.state
        received = time.monotonic()
        entry: dict[str, Any] = {
            "seq": state.next_seq(),
            "time": state.now(),
            "wall": time.time(),
            "method": req.method,
            "path": req.path,
        }
        info = self.describe(req)
        fault = state.take_fault(info.fields)
        if fault is not None and fault.kind == "delay" and not fault.params.get("process"):
            self.stopping.wait(float(fault.params["seconds"]))
        ctx = Context(state, state.now(), stopping=self.stopping)
        if fault is not None:
            _shape(ctx, fault)
        if fault is not None and fault.kind in SHAPING_KINDS:
            response = self.process(req, info, ctx)
            if fault.kind == "delay" and fault.params.get("process"):
                self.stopping.wait(float(fault.params["seconds"]))  # done, answered late
        elif fault is not None and not fault.params.get("process"):
            response = self.fault_response(fault, info, None)
        else:
            response = self.process(req, info, ctx)
            if fault is not None:
                limited = response.rate_limited
                response = self.fault_response(fault, info, response)
                response.rate_limited = limited
        entry.update(
            {
                "kind": info.kind,
                "operation": info.operation,
                "fields": info.fields,
                "aliases": info.aliases,
                "variables": _redact(info.variables, state.api_key),
                "status": 0 if response.drop else response.status,
                "fault": None if fault is None else fault.kind,
                "rate_limited": response.rate_limited,
                "started_execution_ids": list(ctx.started),
                "time_end": state.now(),
                "duration_ms": (time.monotonic() - received) * 1000.0,
            }
        )
        state.record_request(entry)
        return response

    def describe(self, req: Request) -> _Described:
        if route_of(req.path) is not None:
            names, variables = self.nextgen.describe(req)
            return _Described("nextgen", names, [], names[0], variables)
        if req.path in GRAPHQL_PATHS:
            info = _Described("graphql")
            if req.method == "POST":
                self._read_graphql_body(req, info)
            return info
        if _ABORT_PATH.match(req.path):
            info = _Described("rest", fields=["abort"], aliases=["abort"])
            try:
                info.body = json.loads(req.body or b"null")
                info.variables = info.body
            except ValueError as e:
                info.body_error = str(e)
            return info
        return _Described("rest")

    def _read_graphql_body(self, req: Request, info: _Described) -> None:
        payload: Any
        media = req.media_type
        try:
            if media == "text/plain":
                payload = {"query": req.body.decode("utf-8", "replace")}
            elif media == "application/json":
                payload = json.loads(req.body or b"null")
            elif media == "multipart/form-data":
                payload = json.loads(_multipart_part(req, "query") or b"null")
            else:
                return
        except ValueError as e:
            info.body_error = str(e)
            return
        if not isinstance(payload, dict):
            info.body_error = "Cannot deserialize GraphQLQuery from a non-object value"
            return
        info.body = payload
        info.query = payload.get("query")
        info.variables = payload.get("variables")
        operation = payload.get("operationName")
        info.operation = operation if isinstance(operation, str) and operation else None
        if not isinstance(info.query, str):
            return
        info.prepared = prepare(info.query)
        if info.prepared.doc is not None:
            info.fields, info.aliases = top_level_fields(info.prepared.doc, info.operation)

    def process(self, req: Request, info: _Described, ctx: Context) -> Response:
        if info.kind == "graphql":
            return self.graphql(req, info, ctx)
        if info.kind == "nextgen":
            return _from_ng(self.nextgen.handle(req, ctx.started, ctx.read_ids, ctx.now))
        match = _ABORT_PATH.match(req.path)
        if match:
            return self.abort(req, info, ctx, match.group(1))
        return rest_envelope(404)

    def authenticated(self, req: Request) -> bool:
        key = req.headers.get("X-Api-Key")
        account = req.param("accountId")
        if not key or key != self.state.api_key:
            return False
        # The filter checks the key against the accountId parameter when there is one.
        return account is None or account == self.state.account_id

    def graphql(self, req: Request, info: _Described, ctx: Context) -> Response:
        state = self.state
        if req.method != "POST":
            return rest_envelope(405)
        if req.media_type not in ("application/json", "text/plain", "multipart/form-data"):
            return rest_envelope(415)
        if not self.authenticated(req):
            return _unauthorized()
        if not state.allow_graphql():
            response = _rate_limited()
            response.rate_limited = True
            return response
        if state.fixtures.account.edition in EDITIONS_WITHOUT_API:
            return _feature_not_enabled()
        if info.body_error is not None:
            return rest_envelope(
                400, "DEFAULT_ERROR_CODE", f"Unable to process JSON {info.body_error}"
            )
        if info.prepared is None:
            return _text(
                500,
                "Error while handling api request for Graphql api for accountId "
                f"{state.account_id} : query can't be null",
            )
        variables = info.variables
        if variables is not None and not isinstance(variables, dict):
            return rest_envelope(
                400, "DEFAULT_ERROR_CODE", "Unable to process JSON variables must be an object"
            )
        body = run(ctx, info.prepared, variables, info.operation)
        return _json(200, body)

    def abort(self, req: Request, info: _Described, ctx: Context, execution_id: str) -> Response:
        state = self.state
        if req.method != "PUT":
            return rest_envelope(405)
        if req.media_type != "application/json":
            return rest_envelope(415)
        if not self.authenticated(req):
            return _unauthorized()
        if not state.allow_rest(req.headers.get("X-Api-Key") or ""):
            # The per-key REST limiter (50 per minute) answers in plain text.
            response = _text(429, REST_THROTTLED)
            response.rate_limited = True
            return response
        if info.body_error is not None:
            return rest_envelope(
                400, "DEFAULT_ERROR_CODE", f"Unable to process JSON {info.body_error}"
            )
        with state.lock:
            record = state.by_id.get(execution_id)
            if record is None and execution_id in state.children:
                record = state.children[execution_id][0]  # a stage's run aborts its pipeline
            if record is None or record.app.id != req.param("appId"):
                return rest_envelope(400, "GENERAL_ERROR", "WorkflowExecution")
            body = info.body if isinstance(info.body, dict) else {}
            interrupt = body.get("executionInterruptType")
            if interrupt not in ("ABORT_ALL", "ABORT", "PAUSE_ALL", "RESUME_ALL"):
                message = f"Invalid request: Invalid ExecutionInterrupt: {interrupt}"
                return rest_envelope(400, "INVALID_REQUEST", message)
            if record.aborted_at is not None:
                return rest_envelope(
                    400, "ABORT_ALL_ALREADY", "Execution has already been aborted."
                )
            now = ctx.now
            if record.timeline.ended_at(now) is not None:
                return rest_envelope(
                    400, "INVALID_REQUEST", m.already_completed(record.entity.name)
                )
            if interrupt == "PAUSE_ALL":
                state.pause(record, now)
            elif interrupt == "RESUME_ALL":
                state.resume(record, now)
            else:
                state.abort(record, now)
            resource = {
                "uuid": record.interrupt_id,
                "appId": record.app.id,
                "accountId": state.account_id,
                "executionInterruptType": interrupt,
                "executionUuid": record.id,
                "stateExecutionInstanceId": None,
                "seized": False,
                "createdAt": int(now * 1000),
                "lastUpdatedAt": int(now * 1000),
            }
        return rest_envelope(200, resource=resource)

    def fault_response(
        self, fault: Fault, info: _Described, processed: Optional[Response]
    ) -> Response:
        kind = fault.kind
        ng = self.nextgen.fault(kind) if info.kind == "nextgen" else None
        if ng is not None:
            return _from_ng(ng)
        if kind == "http_429":
            if info.kind == "rest":
                return _text(429, REST_THROTTLED)
            return _rate_limited()
        if kind == "http_500":
            message = str(fault.params.get("message", "java.lang.NullPointerException"))
            if info.kind == "rest":
                return rest_envelope(500, "DEFAULT_ERROR_CODE", m.GENERIC)
            return _text(
                500,
                f"Error while handling api request for Graphql api for accountId "
                f"{self.state.account_id} : {message}",
            )
        if kind == "feature_not_enabled":
            return _feature_not_enabled()
        if kind in ("http_502", "http_503", "http_504"):
            return _load_balancer_page(int(kind[-3:]))
        if kind == "drop":
            return Response(0, drop=True)
        # malformed: a 200 whose JSON stops half-way
        full = (
            processed.body
            if processed is not None and processed.body
            else b'{"data":{"result":null}}'
        )
        return Response(200, full[: max(1, len(full) // 2)], "application/json")

    # -- the control API -------------------------------------------------------------------------

    def control(self, req: Request) -> Response:
        state = self.state
        route = (req.method, req.path.rstrip("/"))
        try:
            payload = json.loads(req.body) if req.body.strip() else {}
        except ValueError as e:
            return _json(400, {"error": f"body is not JSON: {e}"})
        if route[1].startswith("/_emulator/nextgen/"):
            return _json(*self.nextgen.control(route[0], route[1], payload))
        if route == ("POST", "/_emulator/faults"):
            if not isinstance(payload, dict):
                return _json(400, {"error": "expected a JSON object"})
            try:
                fault = make_fault(
                    str(payload.get("kind")),
                    payload.get("match", "*"),
                    payload.get("count", 1),
                    payload.get("params") or {},
                )
            except FaultError as e:
                return _json(400, {"error": str(e)})
            state.add_fault(fault)
            return _json(200, {"queued": fault.as_dict()})
        if route == ("GET", "/_emulator/faults"):
            with state.lock:
                return _json(
                    200,
                    {
                        "faults": [f.as_dict() for f in state.faults],
                        "execution_not_found": list(state.hide_next),
                    },
                )
        if route == ("GET", "/_emulator/requests"):
            with state.lock:
                return _json(200, state.log)
        if route == ("DELETE", "/_emulator/requests"):
            with state.lock:
                count = len(state.log)
                state.log.clear()
            return _json(200, {"cleared": count})
        if route == ("GET", "/_emulator/executions"):
            return _json(200, executions(state))
        if req.method == "DELETE" and req.path.startswith("/_emulator/executions/"):
            execution_id = req.path[len("/_emulator/executions/") :]
            if not state.delete(execution_id):
                return _json(404, {"error": f"no execution {execution_id}"})
            return _json(200, {"deleted": execution_id})
        if route == ("POST", "/_emulator/reset"):
            state.reset()
            self.nextgen.reset()
            return _json(200, {"reset": True})
        if route == ("GET", "/_emulator/clock"):
            return _json(200, clock(state))
        if route == ("POST", "/_emulator/clock"):
            seconds = payload.get("advance") if isinstance(payload, dict) else None
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                return _json(400, {"error": 'expected {"advance": <non-negative seconds>}'})
            state.advance(float(seconds))
            return _json(200, clock(state))
        return _json(404, {"error": f"no control endpoint {req.method} {req.path}"})

    def home(self) -> Response:
        """A page for people who follow an executionUrl: the UI path is in the URL fragment."""
        rows = "".join(
            f"<tr><td>{html.escape(e['id'])}</td><td>{html.escape(e['entity_name'])}</td>"
            f"<td>{html.escape(str(e['status']))}</td></tr>"
            for e in executions(self.state)
        )
        page = (
            "<!doctype html><title>harness-gate emulator</title><h1>harness-gate emulator</h1>"
            f"<table><tr><th>execution</th><th>entity</th><th>status</th></tr>{rows}</table>"
        )
        return _text(200, page, "text/html")


def _from_ng(r: NgResponse) -> Response:
    return Response(r.status, r.body, r.content_type, dict(r.headers), rate_limited=r.rate_limited)


def executions(state: State) -> list[dict[str, Any]]:
    with state.lock:
        now = state.now()
        return [state.execution_dict(r, now) for r in state.executions]


def clock(state: State) -> dict[str, Any]:
    now = state.now()
    return {
        "now": now,
        "now_ms": int(now * 1000),
        "time_scale": state.time_scale,
        "wall": time.time(),
    }


def _redact(value: Any, secret: str) -> Any:
    if isinstance(value, dict):
        return {k: _redact(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secret) for v in value]
    if isinstance(value, str) and secret and secret in value:
        return value.replace(secret, _REDACTED)
    return copy.deepcopy(value)


def _multipart_part(req: Request, name: str) -> Optional[bytes]:
    head = f"Content-Type: {req.headers.get('Content-Type')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + req.body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: Responder) -> None:
        self.service = service
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (or a connection stop() closed) is not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Keep-alive connections would outlive the server; end them so clients see it stop."""
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle plus delayed ACKs
        # stall every keep-alive answer by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is the record; stderr stays quiet

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        service = self.server.service
        url = urlsplit(self.path)
        req = Request(self.command, url.path, parse_qs(url.query), self.headers, self._read_body())
        try:
            if req.path == "/_emulator" or req.path.startswith("/_emulator/"):
                response = service.control(req)
            elif req.path == "/" and req.method == "GET":
                response = service.home()
            else:
                response = service.handle(req)
        except Exception:
            # An emulator bug: answer as the server does when it breaks, and show the traceback.
            traceback.print_exc(file=sys.stderr)
            response = _text(500, "Error while handling api request: emulator internal error")
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class Emulator:
    """A Harness FirstGen GraphQL server on loopback, driven by a fixture and a fast clock."""

    def __init__(
        self,
        fixtures: FixtureSource = None,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        rate_limit: Optional[int] = 30,
        account_id: Optional[str] = None,
        api_key: Optional[str] = None,
    ) -> None:
        self.fixtures = load_fixtures(fixtures)
        self.state = State(self.fixtures, time_scale, rate_limit, account_id, api_key)
        self.nextgen = NextGen(self.state)  # the NextGen pipeline routes and their executions
        self.host = host
        self.port = port
        self._stopping = threading.Event()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        responder = Responder(self.state, self._stopping, self.nextgen)
        server = _Server((self.host, self.port), responder)
        self.port = int(server.server_address[1])
        if self.fixtures.account.portal_url is None:
            self.state.portal_url = self.base_url + "/"  # links point back at the emulator
        self.nextgen.base_url = self.base_url
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="harness-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        self._stopping.set()  # wakes requests sleeping in a delay fault
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=1.0)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- where and who -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.base_url + "/gateway/api/graphql"

    @property
    def account_id(self) -> str:
        return self.state.account_id

    @property
    def api_key(self) -> str:
        return self.state.api_key

    def env(self) -> dict[str, str]:
        return {
            "HARNESS_ENDPOINT": self.endpoint,
            "HARNESS_ACCOUNT_ID": self.account_id,
            "HARNESS_API_KEY": self.api_key,
        }

    def ng_env(self) -> dict[str, str]:
        """NextGen settings: base URL of pipeline-service, account, a PAT and a SAT token."""
        tokens = {t.type: t.token for t in self.nextgen.fixtures.tokens}
        out = {
            "HARNESS_NG_BASE_URL": self.base_url + "/gateway/pipeline/api",
            "HARNESS_ACCOUNT_ID": self.account_id,
        }
        if "pat" in tokens:
            out["HARNESS_NG_API_KEY"] = tokens["pat"]
        if "sat" in tokens:
            out["HARNESS_NG_SAT_API_KEY"] = tokens["sat"]
        return out

    # -- faults and observation --------------------------------------------------------------

    def add_fault(self, kind: str, match: str = "*", count: int = 1, **params: Any) -> None:
        self.state.add_fault(make_fault(kind, match, count, params))

    def requests(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.log)

    def clear_requests(self) -> None:
        with self.state.lock:
            self.state.log.clear()

    def executions(self) -> list[dict[str, Any]]:
        return executions(self.state)

    def delete_execution(self, execution_id: str) -> bool:
        """Delete an execution: execution(executionId) then says it does not exist."""
        return self.state.delete(execution_id)

    def reset(self) -> None:
        """Forget faults, the request log and every execution."""
        self.state.reset()
        self.nextgen.reset()

    def now(self) -> float:
        return self.state.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator clock forward, on top of the time scale."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.state.advance(seconds)

"""``EmspPeer``: a minimal OCPI 2.2.1 eMSP served in-process (uvicorn on a free port in a
thread of its own), for the end-to-end tests of our CPO.

As a server it offers what an eMSP offers (version_information_endpoint, credentials,
mod_locations / mod_sessions / mod_cdrs / mod_tariffs receiver interfaces, mod_tokens sender
interface with real-time authorization, the mod_commands CommandResult endpoint at the
``response_url`` it hands out), keeps everything it receives in order with the request's
headers, and answers in the OCPI envelope. As a client it registers with a CPO, pulls its
sender modules page by page, pushes tokens and sends commands.

Everything it sees is checked against the specification (``tests.ocpi_peer.spec``) and the
transport rules (credentials token Base64 in ``Authorization``, ``X-Request-ID`` and
``X-Correlation-ID`` present and echoed, routing headers, pagination headers); what breaks
them goes to ``violations``, which a test asserts empty.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.ocpi_peer.spec import envelope_violations, violations_of

VERSION = "2.2.1"
LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
# The receiver modules a CPO pushes to, and the object kind each path level holds.
LOCATION_LEVELS = ("locations", "evses", "connectors")


def now_text() -> str:
    """OCPI 2.2.1 types §DateTime: UTC, RFC 3339, "Z" designator."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def token_header(token: str) -> str:
    """OCPI 2.2.1 transport_and_format §Authorization header: ``Token <base64(token)>``."""
    return "Token " + base64.b64encode(token.encode()).decode()


def decoded_token(header: str | None) -> str | None:
    if header is None or not header.startswith("Token "):
        return None
    try:
        return base64.b64decode(header[len("Token ") :], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Received:
    """One request the peer received, in arrival order."""

    module: str
    method: str
    path: str
    key: tuple[str, ...]
    body: Any
    headers: dict[str, str]
    at: float
    answered: int = 200


@dataclass(frozen=True)
class Reply:
    """The answer of the CPO to one request of the peer."""

    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ocpi_status(self) -> int | None:
        code = self.body.get("status_code") if isinstance(self.body, dict) else None
        return code if isinstance(code, int) else None

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None


@dataclass(frozen=True)
class Page:
    url: str
    status: int
    count: int
    total_count: str | None
    limit: str | None
    link: str | None


@dataclass(frozen=True)
class Pulled:
    objects: list[dict[str, Any]]
    pages: list[Page]


@dataclass
class CpoLink:
    """What the peer knows of the CPO after a credentials exchange."""

    versions_url: str
    token: str  # the credentials token the peer uses with the CPO
    endpoints: dict[tuple[str, str], str]
    parties: list[tuple[str, str]]  # (country_code, party_id) of each CPO role


@dataclass
class _State:
    received: list[Received] = field(default_factory=list)
    objects: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    cdrs: dict[str, dict[str, Any]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted: dict[str, str] = field(default_factory=dict)  # token → what it is
    refused_while_down: int = 0


class _Server:
    """uvicorn in a thread with its own event loop, on a fixed local port."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.app, self.port = app, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the eMSP peer did not start")
            time.sleep(0.01)
        self._server, self._thread = server, thread

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = self._thread = None


class EmspPeer:
    """A minimal eMSP: ``with EmspPeer.running() as peer: ...``."""

    def __init__(self, *, country_code: str = "NL", party_id: str = "PEE",
                 name: str = "Peer eMSP") -> None:  # fmt: skip
        self.country_code, self.party_id, self.name = country_code, party_id, name
        self.cpo: CpoLink | None = None
        self.authorize_delay_s = 0.0
        self.authorize_answers: dict[str, str] = {}  # token uid → AllowedType
        self._state = _State()
        self._lock = threading.Lock()
        self._down = False
        self._refs = itertools.count(1)
        self._server = _Server(self._app(), 0)

    # -- life cycle ------------------------------------------------------------------------

    @classmethod
    @contextmanager
    def running(cls, **kwargs: str) -> Iterator[EmspPeer]:
        peer = cls(**kwargs)
        peer._server.start()
        try:
            yield peer
        finally:
            peer._server.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/ocpi"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/versions"

    def down(self, *, stop: bool = False) -> None:
        """Unreachable: every OCPI request answered HTTP 503 (or, with ``stop``, the port
        closed) until ``up()``."""
        self._down = True
        if stop:
            self._server.stop()

    def up(self) -> None:
        if self._server._server is None:
            self._server.start()
        self._down = False

    # -- what the peer saw -----------------------------------------------------------------

    @property
    def violations(self) -> list[str]:
        with self._lock:
            return list(self._state.violations)

    def received(self, module: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._state.received if module in (None, r.module)]

    def pushes(self, module: str) -> list[Received]:
        """The writes (PUT, PATCH, POST, DELETE) the CPO made to ``module``, in order,
        answered with success."""
        return [r for r in self.received(module)
                if r.method != "GET" and r.answered < 300]  # fmt: skip

    def object(self, *key: str) -> dict[str, Any] | None:
        """The current state of a pushed object: ("locations", cc, pid, id[, evse_uid]),
        ("sessions", cc, pid, id), ("tariffs", cc, pid, id)."""
        with self._lock:
            return self._state.objects.get(key)

    def objects(self, module: str) -> dict[tuple[str, ...], dict[str, Any]]:
        with self._lock:
            return {k[1:]: v for k, v in self._state.objects.items()
                    if k[0] == module and (module != "locations" or len(k) == 4)}  # fmt: skip

    @property
    def cdrs(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._state.cdrs)

    @property
    def refused_while_down(self) -> int:
        return self._state.refused_while_down

    def command_results(self) -> dict[str, dict[str, Any]]:
        """CommandResults received, by the reference in the response_url handed out."""
        return {r.key[-1]: r.body for r in self.received("commands") if r.method == "POST"}

    def violation(self, text: str) -> None:
        with self._lock:
            self._state.violations.append(text)

    async def wait_until(self, check: Callable[[], Any], *, timeout: float = 60.0,
                         what: str = "condition") -> Any:  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"eMSP peer: timed out waiting for {what}")
            await asyncio.sleep(0.1)

    # -- credentials: the peer's own ---------------------------------------------------------

    def invite(self) -> str:
        """A credentials token A for a CPO to register with (credentials §Registration)."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._state.accepted[token] = "A"
        return token

    def own_credentials(self, token: str) -> dict[str, Any]:
        return {"token": token, "url": self.versions_url, "roles": [{
            "role": "EMSP", "business_details": {"name": self.name},
            "party_id": self.party_id, "country_code": self.country_code}]}  # fmt: skip

    def _accept(self, token: str, what: str) -> None:
        with self._lock:
            self._state.accepted = {t: w for t, w in self._state.accepted.items() if w != what}
            self._state.accepted[token] = what

    # -- client side: registering with a CPO -------------------------------------------------

    async def register_with(self, versions_url: str, token_a: str) -> Reply:
        """credentials §Registration, the peer registering: versions and details with token A,
        then POST its credentials (token B); keeps the CPO's token C and endpoints."""
        endpoints = await self._discover(versions_url, token_a)
        token_b = secrets.token_urlsafe(24)
        self._accept(token_b, "B")
        url = endpoints.get(("credentials", "RECEIVER")) or endpoints.get(
            ("credentials", "SENDER"))
        if url is None:
            raise AssertionError(f"the CPO lists no credentials endpoint: {endpoints}")
        reply = await self._call("POST", url, token_a, json=self.own_credentials(token_b),
                                 module="credentials")  # fmt: skip
        if reply.status == 200 and reply.ocpi_status == 1000:
            self._link_from(reply.data, versions_url, endpoints)
        return reply

    async def update_credentials(self) -> Reply:
        """credentials §PUT: a new token B for the CPO; the CPO answers with a new token C."""
        cpo = self._require_cpo()
        token_b = secrets.token_urlsafe(24)
        self._accept(token_b, "B")
        url = cpo.endpoints.get(("credentials", "RECEIVER")) or cpo.endpoints[
            ("credentials", "SENDER")]
        reply = await self._call("PUT", url, cpo.token, json=self.own_credentials(token_b),
                                 module="credentials")  # fmt: skip
        if reply.status == 200 and reply.ocpi_status == 1000:
            self._link_from(reply.data, cpo.versions_url, cpo.endpoints)
        return reply

    async def unregister(self) -> Reply:
        cpo = self._require_cpo()
        url = cpo.endpoints.get(("credentials", "RECEIVER")) or cpo.endpoints[
            ("credentials", "SENDER")]
        return await self._call("DELETE", url, cpo.token, module="credentials")

    def _link_from(self, data: Any, versions_url: str,
                   endpoints: dict[tuple[str, str], str]) -> None:  # fmt: skip
        for problem in violations_of("credentials", data):
            self.violation(f"CPO credentials answer: {problem}")
        roles = data.get("roles", []) if isinstance(data, dict) else []
        parties = [(r.get("country_code", ""), r.get("party_id", "")) for r in roles]
        if not any(r.get("role") == "CPO" for r in roles):
            self.violation(f"CPO credentials answer has no CPO role: {roles}")
        self.cpo = CpoLink(versions_url, data["token"], endpoints, parties)

    async def _discover(self, versions_url: str, token: str) -> dict[tuple[str, str], str]:
        """version_information_endpoint: the versions list, then 2.2.1's details."""
        versions = await self._call("GET", versions_url, token, module="versions")
        listed = versions.data if isinstance(versions.data, list) else []
        for v in listed:
            for problem in violations_of("versions", v):
                self.violation(f"versions list: {problem}")
        urls = [v["url"] for v in listed if isinstance(v, dict) and v.get("version") == VERSION]
        if not urls:
            raise AssertionError(f"no 2.2.1 in the versions list: {versions.body}")
        details = await self._call("GET", urls[0], token, module="versions")
        for problem in violations_of("version_details", details.data):
            self.violation(f"version details: {problem}")
        if isinstance(details.data, dict) and details.data.get("version") != VERSION:
            self.violation(f"version details of {details.data.get('version')!r}, not 2.2.1")
        return {(e["identifier"], e["role"]): e["url"]
                for e in details.data.get("endpoints", [])}  # fmt: skip

    def _require_cpo(self) -> CpoLink:
        if self.cpo is None:
            raise AssertionError("the peer has no credentials with a CPO yet")
        return self.cpo

    # -- client side: modules --------------------------------------------------------------

    def endpoint(self, module: str, role: str) -> str:
        cpo = self._require_cpo()
        url = cpo.endpoints.get((module, role))
        if url is None:
            raise AssertionError(f"the CPO lists no {module} {role}: {sorted(cpo.endpoints)}")
        return url

    async def pull(self, module: str, **params: Any) -> Pulled:
        """GET a sender module's list, following ``Link: <…>; rel="next"`` to the last page
        (transport_and_format §Pagination); every object checked against the spec."""
        cpo = self._require_cpo()
        url: str | None = self.endpoint(module, "SENDER")
        query: dict[str, Any] | None = {k: v for k, v in params.items() if v is not None}
        objects: list[dict[str, Any]] = []
        pages: list[Page] = []
        while url is not None and len(pages) < 1000:
            reply = await self._call("GET", url, cpo.token, params=query, module=module)
            query = None  # the next link carries the query
            data = reply.data if isinstance(reply.data, list) else []
            if reply.status != 200 or not isinstance(reply.data, list):
                raise AssertionError(f"pull {module}: {reply.status} {reply.body}")
            link = reply.headers.get("link")
            page = Page(url, reply.status, len(data), reply.headers.get("x-total-count"),
                        reply.headers.get("x-limit"), link)  # fmt: skip
            self._check_page(module, page)
            pages.append(page)
            for obj in data:
                for problem in violations_of(module, obj):
                    self.violation(f"pulled {problem}")
            objects.extend(data)
            found = LINK_NEXT.search(link) if link else None
            url = found.group(1) if found else None
        return Pulled(objects, pages)

    def _check_page(self, module: str, page: Page) -> None:
        for name, value in (("X-Total-Count", page.total_count), ("X-Limit", page.limit)):
            if value is None or not value.isdigit():
                self.violation(f"pull {module}: {name} header missing or not a number: {value!r}")
        if page.limit and page.limit.isdigit() and page.count > int(page.limit):
            self.violation(f"pull {module}: {page.count} objects on a page, X-Limit {page.limit}")
        if page.link is not None and not LINK_NEXT.search(page.link):
            self.violation(f"pull {module}: Link header not a rel=\"next\" link: {page.link!r}")

    def token(self, uid: str, *, whitelist: str = "ALLOWED", valid: bool = True,
              type_: str = "RFID", **extra: Any) -> dict[str, Any]:  # fmt: skip
        """A mod_tokens Token object of this eMSP."""
        return {"country_code": self.country_code, "party_id": self.party_id, "uid": uid,
                "type": type_, "contract_id": f"{self.country_code}-{self.party_id}-{uid}"[:36],
                "issuer": self.name, "valid": valid, "whitelist": whitelist,
                "last_updated": now_text(), **extra}  # fmt: skip

    async def push_token(self, token: dict[str, Any]) -> Reply:
        """mod_tokens receiver §PUT {tokens}/{country_code}/{party_id}/{token_uid}[?type=]."""
        with self._lock:
            self._state.tokens[token["uid"]] = token
        url = (f"{self.endpoint('tokens', 'RECEIVER')}/{token['country_code']}/"
               f"{token['party_id']}/{token['uid']}")  # fmt: skip
        params = {"type": token["type"]} if token.get("type") else None
        return await self._call("PUT", url, self._require_cpo().token, json=token,
                                params=params, module="tokens")  # fmt: skip

    async def patch_token(self, uid: str, changes: dict[str, Any]) -> Reply:
        with self._lock:
            token = self._state.tokens[uid] = {**self._state.tokens[uid], **changes}
        url = f"{self.endpoint('tokens', 'RECEIVER')}/{self.country_code}/{self.party_id}/{uid}"
        return await self._call("PATCH", url, self._require_cpo().token, json=changes,
                                params={"type": token["type"]}, module="tokens")  # fmt: skip

    def response_url(self, command: str) -> str:
        return f"{self.base_url}/{VERSION}/emsp/commands/{command}/ref-{next(self._refs)}"

    async def command(self, kind: str, body: dict[str, Any]) -> Reply:
        """mod_commands receiver §POST {commands}/{command}; a ``response_url`` of the peer's
        own is added when ``body`` has none. The CommandResponse is checked."""
        body = {"response_url": self.response_url(kind), **body}
        url = f"{self.endpoint('commands', 'RECEIVER')}/{kind}"
        reply = await self._call("POST", url, self._require_cpo().token, json=body,
                                 module="commands")  # fmt: skip
        if reply.status == 200:
            for problem in violations_of("command_response", reply.data):
                self.violation(f"CommandResponse: {problem}")
        return reply

    async def request(self, method: str, url: str, *, token: str | None = None,
                      headers: dict[str, str] | None = None, content: bytes | None = None,
                      json: Any = None, check: bool = True) -> Reply:  # fmt: skip
        """A raw request to the CPO (bad-input tests): ``token`` None means the peer's
        credentials token with the CPO, "" means no Authorization header."""
        if token is None:
            token = self._require_cpo().token
        return await self._call(method, url, token, json=json, content=content,
                                headers=headers, module="raw", check=check)  # fmt: skip

    def request_headers(self, token: str, module: str) -> dict[str, str]:
        headers = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        if token:
            headers["Authorization"] = token_header(token)
        if self.cpo is not None and module not in ("versions", "credentials"):
            # transport_and_format §Message Routing Headers, party to party: the request's
            # TO is the receiving party, FROM the requesting one.
            cc, pid = self.cpo.parties[0] if self.cpo.parties else ("", "")
            headers |= {"OCPI-to-country-code": cc, "OCPI-to-party-id": pid,
                        "OCPI-from-country-code": self.country_code,
                        "OCPI-from-party-id": self.party_id}  # fmt: skip
        return headers

    async def _call(self, method: str, url: str, token: str, *, module: str,
                    json: Any = None, params: dict[str, Any] | None = None,
                    content: bytes | None = None, headers: dict[str, str] | None = None,
                    check: bool = True) -> Reply:  # fmt: skip
        sent = self.request_headers(token, module) | (headers or {})
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.request(method, url, json=json, params=params,
                                          content=content, headers=sent)  # fmt: skip
        try:
            body = response.json()
        except ValueError:
            body = response.text
        reply = Reply(response.status_code, body, {k.lower(): v for k, v in
                                                   response.headers.items()})  # fmt: skip
        if check:
            self._check_reply(f"{method} {url}", sent, reply, module)
        return reply

    def _check_reply(self, what: str, sent: dict[str, str], reply: Reply, module: str) -> None:
        for problem in envelope_violations(reply.body, http_status=reply.status):
            self.violation(f"{what}: {problem}")
        for name in ("X-Request-ID", "X-Correlation-ID"):
            # transport_and_format §Unique message IDs: the response has the same IDs.
            if name in sent and reply.headers.get(name.lower()) != sent[name]:
                self.violation(f"{what}: {name} not echoed ({reply.headers.get(name.lower())!r})")
        if "OCPI-to-party-id" in sent and reply.status < 500:
            # Direct response: TO is the requesting party, FROM the receiving one.
            expected = {"ocpi-to-country-code": sent["OCPI-from-country-code"],
                        "ocpi-to-party-id": sent["OCPI-from-party-id"],
                        "ocpi-from-country-code": sent["OCPI-to-country-code"],
                        "ocpi-from-party-id": sent["OCPI-to-party-id"]}  # fmt: skip
            wrong = {k: reply.headers.get(k) for k, v in expected.items()
                     if (reply.headers.get(k) or "").upper() != v.upper()}  # fmt: skip
            if wrong:
                self.violation(f"{what}: routing headers of the response {wrong}")

    # -- server side -----------------------------------------------------------------------

    def _app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        app.middleware("http")(self._transport)
        base = f"/ocpi/{VERSION}"
        routes: list[tuple[str, str, Callable[..., Awaitable[Response]]]] = [
            ("GET", "/ocpi/versions", self._versions),
            ("GET", base, self._details),
            ("POST", f"{base}/credentials", self._credentials_post),
            ("GET", f"{base}/credentials", self._credentials_get),
            ("PUT", f"{base}/credentials", self._credentials_put),
            ("DELETE", f"{base}/credentials", self._credentials_delete),
            ("GET", f"{base}/emsp/tokens", self._tokens_list),
            ("POST", f"{base}/emsp/tokens/{{uid}}/authorize", self._authorize),
            ("POST", f"{base}/emsp/cdrs", self._cdr_post),
            ("GET", f"{base}/emsp/cdrs/{{ref}}", self._cdr_get),
            ("POST", f"{base}/emsp/commands/{{command}}/{{ref}}", self._command_result),
        ]
        for module in ("locations", "sessions", "tariffs"):
            path = f"{base}/emsp/{module}/{{cc}}/{{pid}}/{{oid}}"
            deeper = [path]
            if module == "locations":
                deeper += [f"{path}/{{evse_uid}}", f"{path}/{{evse_uid}}/{{connector_id}}"]
            methods = {"locations": ("GET", "PUT", "PATCH"), "sessions": ("GET", "PUT", "PATCH"),
                       "tariffs": ("GET", "PUT", "DELETE")}[module]  # fmt: skip
            for p in deeper:
                routes += [(m, p, self._client_owned) for m in methods]
        for method, path, handler in routes:
            app.add_api_route(path, handler, methods=[method])
        return app

    def _endpoints(self) -> list[dict[str, str]]:
        base = f"{self.base_url}/{VERSION}"
        return [
            {"identifier": "credentials", "role": "SENDER", "url": f"{base}/credentials"},
            {"identifier": "credentials", "role": "RECEIVER", "url": f"{base}/credentials"},
            {"identifier": "locations", "role": "RECEIVER", "url": f"{base}/emsp/locations"},
            {"identifier": "sessions", "role": "RECEIVER", "url": f"{base}/emsp/sessions"},
            {"identifier": "cdrs", "role": "RECEIVER", "url": f"{base}/emsp/cdrs"},
            {"identifier": "tariffs", "role": "RECEIVER", "url": f"{base}/emsp/tariffs"},
            {"identifier": "tokens", "role": "SENDER", "url": f"{base}/emsp/tokens"},
            {"identifier": "commands", "role": "SENDER", "url": f"{base}/emsp/commands"},
        ]

    def _answer(self, data: Any = None, *, status: int = 1000, http: int = 200,
                message: str | None = None,
                headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
        body: dict[str, Any] = {"status_code": status, "timestamp": now_text()}
        if data is not None:
            body["data"] = data
        if message is not None:
            body["status_message"] = message
        return JSONResponse(body, status_code=http, headers=headers)

    async def _transport(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Every request: reachable?, authenticated?, IDs and routing headers; the response
        echoes the IDs (transport_and_format §Unique message IDs) and routes back."""
        if self._down:
            self._state.refused_while_down += 1
            return self._answer(status=3000, http=503, message="peer down")
        path, module = request.url.path, self._module_of(request.url.path)
        what = f"{request.method} {path}"
        token = decoded_token(request.headers.get("authorization"))
        if token is None or token not in self._state.accepted:
            self.violation(f"{what}: Authorization not a known Base64 credentials token "
                           f"({request.headers.get('authorization')!r})")  # fmt: skip
            response: Response = self._answer(status=2000, http=401, message="unknown token")
        elif self._state.accepted[token] == "A" and module not in ("versions", "credentials"):
            # transport_and_format §Authorization header: token A only for these two.
            self.violation(f"{what}: token A used on {module}")
            response = self._answer(status=2000, http=401, message="token A")
        else:
            self._check_request(request, module, what)
            request.state.token = token
            response = await call_next(request)
        for name in ("X-Request-ID", "X-Correlation-ID"):
            if name in request.headers:
                response.headers[name] = request.headers[name]
        if self.cpo is not None and self.cpo.parties:
            # Direct response: TO is the requesting party (as it named itself), FROM us.
            cc = request.headers.get("ocpi-from-country-code", self.cpo.parties[0][0])
            pid = request.headers.get("ocpi-from-party-id", self.cpo.parties[0][1])
            response.headers.update({
                "OCPI-from-country-code": self.country_code, "OCPI-from-party-id": self.party_id,
                "OCPI-to-country-code": cc, "OCPI-to-party-id": pid})  # fmt: skip
        return response

    @staticmethod
    def _module_of(path: str) -> str:
        parts = path.split("/")
        if len(parts) >= 5 and parts[3] == "emsp":
            return parts[4]
        return "credentials" if path.endswith("/credentials") else "versions"

    def _check_request(self, request: Request, module: str, what: str) -> None:
        for name in ("X-Request-ID", "X-Correlation-ID"):
            if not request.headers.get(name):
                self.violation(f"{what}: no {name} header")
        if request.method in ("POST", "PUT", "PATCH"):
            kind = request.headers.get("content-type", "")
            if not kind.startswith("application/json"):
                self.violation(f"{what}: Content-Type {kind!r}, not application/json")
        if module in ("versions", "credentials") or self.cpo is None:
            return
        # transport_and_format §Message Routing Headers, direct request: FROM one of the
        # CPO's parties, TO us.
        sender = (request.headers.get("ocpi-from-country-code", "").upper(),
                  request.headers.get("ocpi-from-party-id", "").upper())  # fmt: skip
        if sender not in {(c.upper(), p.upper()) for c, p in self.cpo.parties}:
            self.violation(f"{what}: OCPI-from-* {sender}, not a party of the CPO "
                           f"{self.cpo.parties}")  # fmt: skip
        receiver = (request.headers.get("ocpi-to-country-code", "").upper(),
                    request.headers.get("ocpi-to-party-id", "").upper())  # fmt: skip
        if receiver != (self.country_code.upper(), self.party_id.upper()):
            self.violation(f"{what}: OCPI-to-* {receiver}, not the peer's")

    def _record(self, request: Request, module: str, key: tuple[str, ...], body: Any,
                answered: int = 200) -> None:  # fmt: skip
        entry = Received(module, request.method, request.url.path, key, body,
                         dict(request.headers), time.monotonic(), answered)  # fmt: skip
        with self._lock:
            self._state.received.append(entry)

    async def _json(self, request: Request, what: str) -> tuple[bool, Any]:
        try:
            return True, await request.json()
        except ValueError:
            self.violation(f"{what}: body is not JSON")
            return False, None

    # -- version_information_endpoint --------------------------------------------------------

    async def _versions(self) -> Response:
        return self._answer([{"version": VERSION, "url": f"{self.base_url}/{VERSION}"}])

    async def _details(self) -> Response:
        return self._answer({"version": VERSION, "endpoints": self._endpoints()})

    # -- credentials -----------------------------------------------------------------------

    async def _credentials_get(self, request: Request) -> Response:
        return self._answer(self.own_credentials(request.state.token))

    async def _credentials_post(self, request: Request) -> Response:
        """credentials §POST: with token A; the CPO's token B and versions URL in the body;
        the peer fetches its endpoints with token B and answers with token C."""
        if self._state.accepted[request.state.token] != "A":
            return self._answer(status=2000, http=405, message="already registered")
        return await self._exchange(request)

    async def _credentials_put(self, request: Request) -> Response:
        if self._state.accepted[request.state.token] != "C":
            return self._answer(status=2000, http=405, message="not registered")
        return await self._exchange(request)

    async def _exchange(self, request: Request) -> Response:
        ok, body = await self._json(request, "credentials")
        problems = violations_of("credentials", body) if ok else ["not JSON"]
        self._record(request, "credentials", (), body)
        if problems:
            for problem in problems:
                self.violation(f"credentials from the CPO: {problem}")
            return self._answer(status=2001, http=400, message="; ".join(problems))
        try:
            endpoints = await self._discover(body["url"], body["token"])
        except (AssertionError, httpx.HTTPError, KeyError) as e:
            return self._answer(status=3001, http=400, message=f"cannot use the CPO: {e}")
        parties = [(r["country_code"], r["party_id"]) for r in body["roles"]]
        self.cpo = CpoLink(body["url"], body["token"], endpoints, parties)
        with self._lock:  # token A (or the old C) is spent: credentials §Registration
            self._state.accepted.pop(request.state.token, None)
        token_c = secrets.token_urlsafe(24)
        self._accept(token_c, "C")
        return self._answer(self.own_credentials(token_c))

    async def _credentials_delete(self, request: Request) -> Response:
        if self._state.accepted[request.state.token] not in ("B", "C"):
            return self._answer(status=2000, http=405, message="not registered")
        self._record(request, "credentials", (), None)
        with self._lock:
            self._state.accepted.pop(request.state.token, None)
        self.cpo = None
        return self._answer()

    # -- receiver interfaces -----------------------------------------------------------------

    async def _client_owned(self, request: Request) -> Response:
        """PUT / PATCH / GET / DELETE of a client owned object (transport_and_format §Client
        Owned Object Push): locations (with EVSE and connector levels), sessions, tariffs."""
        parts = request.url.path.split("/")
        module, key = parts[4], tuple(parts[5:])
        what = f"{request.method} {request.url.path}"
        if request.method == "GET":
            found = self.object(module, *key)
            if found is None:
                return self._answer(status=2003 if module == "locations" else 2000, http=404)
            return self._answer(found)
        ok, body = (True, None) if request.method == "DELETE" else await self._json(request, what)
        if not ok:
            self._record(request, module, key, None, 400)
            return self._answer(status=2001, http=400, message="body is not JSON")
        if self.cpo is not None and (key[0].upper(), key[1].upper()) not in {
            (c.upper(), p.upper()) for c, p in self.cpo.parties}:  # fmt: skip
            self.violation(f"{what}: country_code/party_id not the CPO's {self.cpo.parties}")
        status, problems = self._apply(request.method, module, key, body)
        for problem in problems:
            self.violation(f"{what}: {problem}")
        self._record(request, module, key, body, 200 if status == 1000 else 404)
        if status != 1000:
            return self._answer(status=status, http=404, message="unknown object")
        return self._answer()

    def _apply(self, method: str, module: str, key: tuple[str, ...],
               body: Any) -> tuple[int, list[str]]:  # fmt: skip
        kind = LOCATION_LEVELS[len(key) - 3] if module == "locations" else module
        full = (module, *key)
        with self._lock:
            old = self._current(full)
            if method == "DELETE":
                self._state.objects.pop(full, None)
                return 1000, []
            if method == "PATCH":
                if old is None:
                    return (2003 if module == "locations" else 2000), []
                if not isinstance(body, dict):
                    return 2001, [f"PATCH body is not an object: {body!r:.100}"]
                problems = [] if "last_updated" in body else [
                    "PATCH without last_updated (the spec requires it)"]  # fmt: skip
                new = {**old, **body}
            else:
                new, problems = body, self._identity_problems(kind, key, body)
            problems += violations_of(kind, new)
            problems += self._order_problems(old, new)
            self._state.objects[full] = new
            if module == "locations" and len(key) > 3:
                self._merge_into_location(key, new)
        return 1000, problems

    def _current(self, full: tuple[str, ...]) -> dict[str, Any] | None:
        """The stored object, or for an EVSE or connector the one inside its location."""
        found = self._state.objects.get(full)
        if found is not None or full[0] != "locations" or len(full) < 5:
            return found
        location = self._state.objects.get(full[:4]) or {}
        evse = next((e for e in location.get("evses") or [] if e.get("uid") == full[4]), None)
        if evse is None or len(full) == 5:
            return evse
        return next((c for c in evse.get("connectors") or [] if c.get("id") == full[5]), None)

    @staticmethod
    def _identity_problems(kind: str, key: tuple[str, ...], body: Any) -> list[str]:
        """The id in the URL is the id of the object (transport_and_format §Errors: 2001)."""
        if not isinstance(body, dict):
            return [f"{kind} body is not an object"]
        field_name = {"evses": "uid"}.get(kind, "id")
        if str(body.get(field_name)) != key[-1]:
            found = body.get(field_name)
            return [f"{kind} {field_name} {found!r} differs from the URL {key[-1]!r}"]
        if kind in ("locations", "sessions", "tariffs") and (
                (body.get("country_code"), body.get("party_id")) != key[:2]):  # fmt: skip
            return [f"{kind} country_code/party_id differ from the URL {key[:2]}"]
        return []

    @staticmethod
    def _order_problems(old: dict[str, Any] | None, new: Any) -> list[str]:
        """Pushes in order: an update never carries an older last_updated than the last."""
        if old is None or not isinstance(new, dict):
            return []
        before, after = str(old.get("last_updated", "")), str(new.get("last_updated", ""))
        if after.rstrip("Z") < before.rstrip("Z"):
            return [f"last_updated went back from {before} to {after} (pushes out of order)"]
        return []

    def _merge_into_location(self, key: tuple[str, ...], new: dict[str, Any]) -> None:
        location = self._state.objects.get(("locations", *key[:3]))
        if location is None:
            return
        evses = list(location.get("evses") or [])
        index = next((i for i, e in enumerate(evses) if e.get("uid") == key[3]), None)
        if len(key) == 4:
            evse = new
        elif index is not None:
            connectors = [c for c in evses[index].get("connectors", []) if c.get("id") != key[4]]
            evse = {**evses[index], "connectors": [*connectors, new]}
        else:
            return
        if index is None:
            evses.append(evse)
        else:
            evses[index] = evse
        self._state.objects[("locations", *key[:3])] = {**location, "evses": evses}

    async def _cdr_post(self, request: Request) -> Response:
        """mod_cdrs receiver §POST: a new CDR; the answer's Location header is its URL."""
        ok, body = await self._json(request, "POST cdrs")
        if not ok or not isinstance(body, dict):
            self._record(request, "cdrs", (), body, 400)
            return self._answer(status=2001, http=400, message="not a CDR")
        for problem in violations_of("cdrs", body):
            self.violation(f"POST cdrs: {problem}")
        if self.cpo is not None and (body.get("country_code"), body.get("party_id")) not in (
                set(self.cpo.parties)):  # fmt: skip
            self.violation(f"POST cdrs: CDR of {body.get('country_code')}/{body.get('party_id')}")
        ref = f"{body.get('country_code')}-{body.get('party_id')}-{body.get('id')}"
        with self._lock:
            self._state.cdrs[ref] = body
        self._record(request, "cdrs", (ref,), body)
        location = f"{self.base_url}/{VERSION}/emsp/cdrs/{ref}"
        return self._answer(headers={"Location": location})

    async def _cdr_get(self, ref: str) -> Response:
        found = self.cdrs.get(ref)
        return self._answer(found) if found else self._answer(status=2000, http=404)

    async def _command_result(self, request: Request, command: str, ref: str) -> Response:
        """mod_commands sender §POST {response_url}: the CommandResult."""
        ok, body = await self._json(request, f"CommandResult {command}")
        for problem in violations_of("command_result", body) if ok else []:
            self.violation(f"CommandResult {command}/{ref}: {problem}")
        self._record(request, "commands", (command, ref), body)
        return self._answer()

    # -- tokens sender ---------------------------------------------------------------------

    async def _tokens_list(self, request: Request, offset: int = 0, limit: int = 50,
                           date_from: str | None = None,
                           date_to: str | None = None) -> Response:  # fmt: skip
        """mod_tokens sender §GET, paginated (transport_and_format §Pagination)."""
        limit = max(1, min(limit, 50))
        with self._lock:
            tokens = sorted(self._state.tokens.values(), key=lambda t: t["last_updated"])
        tokens = [t for t in tokens if (date_from is None or t["last_updated"] >= date_from)
                  and (date_to is None or t["last_updated"] < date_to)]  # fmt: skip
        page = tokens[offset : offset + limit]
        headers = {"X-Total-Count": str(len(tokens)), "X-Limit": str(limit)}
        if offset + limit < len(tokens):
            query = httpx.QueryParams({**request.query_params, "offset": offset + limit,
                                       "limit": limit})  # fmt: skip
            headers["Link"] = f'<{self.base_url}/{VERSION}/emsp/tokens?{query}>; rel="next"'
        return self._answer(page, headers=headers)

    async def _authorize(self, request: Request, uid: str, type: str = "RFID") -> Response:  # noqa: A002
        """mod_tokens sender §POST {tokens}/{uid}/authorize: AuthorizationInfo, or 2004 for a
        token the eMSP does not know (HTTP 404)."""
        body = (await self._json(request, "authorize"))[1] if await request.body() else None
        self._record(request, "tokens", (uid, "authorize"), body)
        if self.authorize_delay_s:
            await asyncio.sleep(self.authorize_delay_s)
        token = self._state.tokens.get(uid)
        if token is None or token["type"] != type:
            return self._answer(status=2004, http=404, message="unknown token")
        allowed = self.authorize_answers.get(uid, "ALLOWED" if token["valid"] else "BLOCKED")
        info: dict[str, Any] = {"allowed": allowed, "token": token,
                                "authorization_reference": f"AUTH-{uid}"[:36]}  # fmt: skip
        if isinstance(body, dict) and body.get("location_id"):
            info["location"] = body
        return self._answer(info)

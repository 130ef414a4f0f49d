"""A hand-built TLS 1.2 ClientHello, and the server's first flight read back, byte by byte.

Why not ``ssl``: the platform's OpenSSL 3 cannot even *offer* RC4, 3DES or EXPORT suites
(they are compiled out), so it cannot ask a server whether it still accepts them. The
question needs no completed handshake: the suite the server picks is in its ServerHello,
and a stapled OCSP response is in its CertificateStatus message, both sent in the clear
before any key exchange (TLS 1.2 and older). Nothing here encrypts, decrypts or verifies;
the probe closes the connection after reading the answer.

Limits, said where they apply: TLS 1.3 suites are all AEAD with forward secrecy (nothing
weak to find), and a TLS 1.3-only server staples inside the encrypted handshake, so OCSP
stapling is not observed there.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from dataclasses import dataclass, field

from auditpack.model import ErrorReason

#: weak suite classes -> the IANA code points offered for each (RFC 5246, 4492, 8422, 2712 ...)
WEAK_SUITES: dict[str, dict[int, str]] = {
    "RC4": {
        0x0004: "TLS_RSA_WITH_RC4_128_MD5", 0x0005: "TLS_RSA_WITH_RC4_128_SHA",
        0xC007: "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 0xC011: "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0xC002: "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", 0xC00C: "TLS_ECDH_RSA_WITH_RC4_128_SHA",
        0x0018: "TLS_DH_anon_WITH_RC4_128_MD5", 0xC016: "TLS_ECDH_anon_WITH_RC4_128_SHA",
    },
    "3DES": {
        0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x0016: "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0013: "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", 0xC008: "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        0xC012: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", 0xC003: "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA",
        0xC00D: "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", 0x001B: "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
    },
    "NULL": {
        0x0001: "TLS_RSA_WITH_NULL_MD5", 0x0002: "TLS_RSA_WITH_NULL_SHA", 0x003B: "TLS_RSA_WITH_NULL_SHA256",
        0xC006: "TLS_ECDHE_ECDSA_WITH_NULL_SHA", 0xC010: "TLS_ECDHE_RSA_WITH_NULL_SHA",
        0xC001: "TLS_ECDH_ECDSA_WITH_NULL_SHA", 0xC00B: "TLS_ECDH_RSA_WITH_NULL_SHA",
        0xC015: "TLS_ECDH_anon_WITH_NULL_SHA",
    },
    "EXPORT": {
        0x0003: "TLS_RSA_EXPORT_WITH_RC4_40_MD5", 0x0006: "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        0x0008: "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", 0x000B: "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA",
        0x000E: "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", 0x0011: "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA",
        0x0014: "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", 0x0017: "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5",
        0x0019: "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", 0x0062: "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA",
        0x0064: "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA",
    },
    # static RSA, DH and ECDH key exchange: a stolen server key decrypts every recorded session
    "no forward secrecy": {
        0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0xC09C: "TLS_RSA_WITH_AES_128_CCM", 0xC09D: "TLS_RSA_WITH_AES_256_CCM",
        0x0041: "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", 0x0084: "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA",
        0x00BA: "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", 0x00C0: "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256",
        0xC050: "TLS_RSA_WITH_ARIA_128_GCM_SHA256", 0xC051: "TLS_RSA_WITH_ARIA_256_GCM_SHA384",
        0x0096: "TLS_RSA_WITH_SEED_CBC_SHA", 0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0005: "TLS_RSA_WITH_RC4_128_SHA",
        0x0030: "TLS_DH_DSS_WITH_AES_128_CBC_SHA", 0x0031: "TLS_DH_RSA_WITH_AES_128_CBC_SHA",
        0x0036: "TLS_DH_DSS_WITH_AES_256_CBC_SHA", 0x0037: "TLS_DH_RSA_WITH_AES_256_CBC_SHA",
        0xC004: "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", 0xC005: "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA",
        0xC00E: "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", 0xC00F: "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA",
        0xC02D: "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", 0xC031: "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256",
    },
}
#: a broad modern offer, for reading what a server staples
COMMON_SUITES: tuple[int, ...] = (0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC009, 0xC013, 0xC00A,
                                  0xC014, 0x009E, 0x009F, 0x0033, 0x0039, 0x009C, 0x009D, 0x002F, 0x0035)
_GROUPS = (0x001D, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101)
_SIGNATURES = (0x0804, 0x0805, 0x0806, 0x0403, 0x0503, 0x0603, 0x0401, 0x0501, 0x0601, 0x0201, 0x0203, 0x0202)
_HANDSHAKE, _ALERT = 22, 21
_SERVER_HELLO, _CERTIFICATE_STATUS, _SERVER_HELLO_DONE = 2, 22, 14
_STATUS_REQUEST = 5
MAX_FLIGHT = 512 * 1024  # bytes; a server's first flight (certificate chain included) is far smaller
ALERTS = {40: "handshake_failure", 47: "illegal_parameter", 70: "protocol_version", 71: "insufficient_security",
          80: "internal_error", 112: "unrecognized_name", 50: "decode_error", 86: "inappropriate_fallback"}


class HelloError(Exception):
    """The probe could not get an answer (not: the server refused). ``reason`` for the evidence."""

    def __init__(self, message: str, reason: ErrorReason) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ServerFlight:
    """What the server answered: the chosen suite, or the alert/close that refused the offer."""

    suite: int | None = None
    version: int | None = None
    extensions: tuple[int, ...] = ()
    ocsp_response: bytes | None = None
    refused: str | None = None  # why not, when the server did not pick a suite
    messages: list[int] = field(default_factory=list)  # handshake message types seen, in order

    @property
    def accepted(self) -> bool:
        return self.suite is not None


def _vector(data: bytes, length_bytes: int) -> bytes:
    return len(data).to_bytes(length_bytes, "big") + data


def _extension(kind: int, body: bytes) -> bytes:
    return struct.pack("!H", kind) + _vector(body, 2)


def client_hello(server_name: str | None, suites: tuple[int, ...], status_request: bool = False) -> bytes:
    """One TLS record holding a ClientHello for TLS 1.2 that offers exactly ``suites``."""
    extensions = b""
    if server_name:
        try:
            ipaddress.ip_address(server_name)
        except ValueError:  # SNI carries host names only
            name = server_name.encode("idna")
            extensions += _extension(0, _vector(b"\x00" + _vector(name, 2), 2))
    extensions += _extension(10, _vector(b"".join(struct.pack("!H", g) for g in _GROUPS), 2))
    extensions += _extension(11, _vector(b"\x00", 1))
    extensions += _extension(13, _vector(b"".join(struct.pack("!H", s) for s in _SIGNATURES), 2))
    if status_request:  # OCSP, no responder ids, no request extensions
        extensions += _extension(_STATUS_REQUEST, b"\x01\x00\x00\x00\x00")
    extensions += _extension(0xFF01, b"\x00")  # secure renegotiation
    body = (b"\x03\x03" + os.urandom(32) + b"\x00"
            + _vector(b"".join(struct.pack("!H", s) for s in (*suites, 0x00FF)), 2)
            + b"\x01\x00" + _vector(extensions, 2))
    handshake = b"\x01" + _vector(body, 3)
    return struct.pack("!BHH", _HANDSHAKE, 0x0301, len(handshake)) + handshake


def _server_hello(body: bytes, flight: ServerFlight) -> None:
    if len(body) < 38:
        raise HelloError("the ServerHello is too short", ErrorReason.INVALID_RESPONSE)
    flight.version = struct.unpack("!H", body[:2])[0]
    at = 34 + 1 + body[34]
    if len(body) < at + 3:
        raise HelloError("the ServerHello is cut off", ErrorReason.INVALID_RESPONSE)
    flight.suite = struct.unpack("!H", body[at:at + 2])[0]
    at += 3  # suite and compression method
    kinds = []
    if len(body) >= at + 2:
        end = at + 2 + struct.unpack("!H", body[at:at + 2])[0]
        at += 2
        while at + 4 <= min(end, len(body)):
            kind, size = struct.unpack("!HH", body[at:at + 4])
            kinds.append(kind)
            at += 4 + size
    flight.extensions = tuple(kinds)


def read_flight(sock: socket.socket, until_done: bool) -> ServerFlight:
    """Read records until the ServerHello (or, with ``until_done``, the ServerHelloDone),
    an alert, or the server closing. A timeout or reset before any answer is a HelloError."""
    flight = ServerFlight()
    buffer = b""
    handshake = b""
    received = 0
    while True:
        try:
            chunk = sock.recv(16384)
        except TimeoutError:
            raise HelloError("no answer to the ClientHello (timed out)", ErrorReason.TIMEOUT) from None
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            chunk = b""
        if not chunk:
            if flight.accepted:
                return flight
            flight.refused = "the server closed the connection"
            return flight
        received += len(chunk)
        if received > MAX_FLIGHT:
            raise HelloError(f"the server's first flight is larger than {MAX_FLIGHT} bytes",
                             ErrorReason.INVALID_RESPONSE)
        buffer += chunk
        while len(buffer) >= 5:
            kind, _version, size = struct.unpack("!BHH", buffer[:5])
            if len(buffer) < 5 + size:
                break
            payload, buffer = buffer[5:5 + size], buffer[5 + size:]
            if kind == _ALERT:
                if flight.accepted:
                    return flight
                code = payload[1] if len(payload) > 1 else -1
                flight.refused = f"alert {ALERTS.get(code, code)}"
                return flight
            if kind != _HANDSHAKE:
                if flight.accepted:
                    return flight
                raise HelloError(f"the server answered with a TLS record of type {kind}, not a handshake",
                                 ErrorReason.INVALID_RESPONSE)
            handshake += payload
            while len(handshake) >= 4:
                message, length = handshake[0], int.from_bytes(handshake[1:4], "big")
                if len(handshake) < 4 + length:
                    break
                body, handshake = handshake[4:4 + length], handshake[4 + length:]
                flight.messages.append(message)
                if message == _SERVER_HELLO:
                    _server_hello(body, flight)
                    if not until_done:
                        return flight
                elif message == _CERTIFICATE_STATUS and len(body) >= 4 and body[0] == 1:
                    flight.ocsp_response = body[4:4 + int.from_bytes(body[1:4], "big")]
                elif message == _SERVER_HELLO_DONE:
                    return flight
        if buffer[:1] and buffer[0] not in (_HANDSHAKE, _ALERT, 20, 23):
            raise HelloError("the answer is not TLS", ErrorReason.INVALID_RESPONSE)


def hello(address: str, port: int, server_name: str | None, suites: tuple[int, ...], timeout: float,
          status_request: bool = False) -> ServerFlight:
    """Send one ClientHello offering ``suites`` and read the server's answer."""
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except TimeoutError:
        raise HelloError(f"connect to {address}:{port}: timed out", ErrorReason.TIMEOUT) from None
    except OSError as exc:
        raise HelloError(f"connect to {address}:{port}: {exc.strerror or exc}", ErrorReason.CONNECTIVITY) from None
    try:
        sock.sendall(client_hello(server_name, suites, status_request))
        flight = read_flight(sock, until_done=status_request)
    except OSError as exc:
        raise HelloError(f"{address}:{port}: {exc.strerror or exc}", ErrorReason.CONNECTIVITY) from None
    finally:
        sock.close()
    if flight.suite is not None and flight.suite not in suites:
        raise HelloError(f"the server chose suite 0x{flight.suite:04X}, which was not offered",
                         ErrorReason.INVALID_RESPONSE)
    return flight

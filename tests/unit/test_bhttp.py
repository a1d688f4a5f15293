"""Binary HTTP (RFC 9292): the RFC's examples byte for byte, round trips, truncation, limits, and
bad input that may only ever raise ``SignatureError(binary_http_malformed)``.

The hex dumps below are copied from RFC 9292 §5 (Figures 3, 4, 6 and 8) as printed.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from signed_api.core import bhttp
from signed_api.core.bhttp import (
    DEFAULT_LIMITS,
    Limits,
    Request,
    Response,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)
from signed_api.core.errors import BINARY_HTTP_MALFORMED, SignatureError

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def unhex(dump: str) -> bytes:
    """The bytes of an RFC hex dump: the hex columns, without the text on the right."""
    return bytes.fromhex("".join(line[:36] for line in dump.strip("\n").splitlines()))


# RFC 9292 Figure 3: Known-Length Binary Encoding of Request.
RFC_KNOWN_REQUEST = unhex("""
00034745 54056874 74707300 0a2f6865  ..GET.https../he
6c6c6f2e 74787440 6c0a7573 65722d61  llo.txt@l.user-a
67656e74 34637572 6c2f372e 31362e33  gent4curl/7.16.3
206c6962 6375726c 2f372e31 362e3320   libcurl/7.16.3
4f70656e 53534c2f 302e392e 376c207a  OpenSSL/0.9.7l z
6c69622f 312e322e 3304686f 73740f77  lib/1.2.3.host.w
77772e65 78616d70 6c652e63 6f6d0f61  ww.example.com.a
63636570 742d6c61 6e677561 67650665  ccept-language.e
6e2c206d 690000                      n, mi..
""")

# RFC 9292 Figure 4: Indeterminate-Length Binary Encoding of Request (10 bytes of padding).
RFC_INDETERMINATE_REQUEST = unhex("""
02034745 54056874 74707300 0a2f6865  ..GET.https../he
6c6c6f2e 7478740a 75736572 2d616765  llo.txt.user-age
6e743463 75726c2f 372e3136 2e33206c  nt4curl/7.16.3 l
69626375 726c2f37 2e31362e 33204f70  ibcurl/7.16.3 Op
656e5353 4c2f302e 392e376c 207a6c69  enSSL/0.9.7l zli
622f312e 322e3304 686f7374 0f777777  b/1.2.3.host.www
2e657861 6d706c65 2e636f6d 0f616363  .example.com.acc
6570742d 6c616e67 75616765 06656e2c  ept-language.en,
206d6900 00000000 00000000 00000000   mi.............
""")

# RFC 9292 Figure 6: Binary Response, including Informational Responses (indeterminate-length).
RFC_INDETERMINATE_RESPONSE = unhex("""
03406607 72756e6e 696e670a 22736c65  .@f.running."sle
65702031 35220040 67046c69 6e6b233c  ep 15".@g.link#<
2f737479 6c652e63 73733e3b 2072656c  /style.css>; rel
3d707265 6c6f6164 3b206173 3d737479  =preload; as=sty
6c65046c 696e6b24 3c2f7363 72697074  le.link$</script
2e6a733e 3b207265 6c3d7072 656c6f61  .js>; rel=preloa
643b2061 733d7363 72697074 0040c804  d; as=script.@..
64617465 1d4d6f6e 2c203237 204a756c  date.Mon, 27 Jul
20323030 39203132 3a32383a 35332047   2009 12:28:53 G
4d540673 65727665 72064170 61636865  MT.server.Apache
0d6c6173 742d6d6f 64696669 65641d57  .last-modified.W
65642c20 3232204a 756c2032 30303920  ed, 22 Jul 2009
31393a31 353a3536 20474d54 04657461  19:15:56 GMT.eta
67142233 34616133 38372d64 2d313536  g."34aa387-d-156
38656230 30220d61 63636570 742d7261  8eb00".accept-ra
6e676573 05627974 65730e63 6f6e7465  nges.bytes.conte
6e742d6c 656e6774 68023531 04766172  nt-length.51.var
790f4163 63657074 2d456e63 6f64696e  y.Accept-Encodin
670c636f 6e74656e 742d7479 70650a74  g.content-type.t
6578742f 706c6169 6e003348 656c6c6f  ext/plain.3Hello
20576f72 6c642120 4d792063 6f6e7465   World! My conte
6e742069 6e636c75 64657320 61207472  nt includes a tr
61696c69 6e672043 524c462e 0d0a0000  ailing CRLF.....
""")

# RFC 9292 Figure 8: Known-Length Encoding of Response (the chunked example).
RFC_KNOWN_RESPONSE = unhex("""
0140c800 1d546869 7320636f 6e74656e  .@...This conten
7420636f 6e746169 6e732043 524c462e  t contains CRLF.
0d0a0d07 74726169 6c657204 74657874  ....trailer.text
""")

# The messages those figures encode (RFC 9292 Figures 2, 5 and 7).
RFC_REQUEST = Request(
    method="GET",
    scheme="https",
    authority="",
    path="/hello.txt",
    headers=(
        ("user-agent", "curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3"),
        ("host", "www.example.com"),
        ("accept-language", "en, mi"),
    ),
)
RFC_RESPONSE = Response(
    status=200,
    informational=(
        (102, (("running", '"sleep 15"'),)),
        (
            103,
            (
                ("link", "</style.css>; rel=preload; as=style"),
                ("link", "</script.js>; rel=preload; as=script"),
            ),
        ),
    ),
    headers=(
        ("date", "Mon, 27 Jul 2009 12:28:53 GMT"),
        ("server", "Apache"),
        ("last-modified", "Wed, 22 Jul 2009 19:15:56 GMT"),
        ("etag", '"34aa387-d-1568eb00"'),
        ("accept-ranges", "bytes"),
        ("content-length", "51"),
        ("vary", "Accept-Encoding"),
        ("content-type", "text/plain"),
    ),
    content=b"Hello World! My content includes a trailing CRLF.\r\n",
)
RFC_CHUNKED_RESPONSE = Response(
    status=200,
    content=b"This content contains CRLF.\r\n",
    trailers=(("trailer", "text"),),
)


def malformed(call, *args, **kwargs) -> SignatureError:
    """Run ``call``, which must raise ``binary_http_malformed``; return the error."""
    with pytest.raises(SignatureError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == BINARY_HTTP_MALFORMED
    assert caught.value.status == 400
    return caught.value


# --- RFC 9292 §5 examples ---------------------------------------------------------------------


def test_hex_dumps_have_the_sizes_the_rfc_implies():
    # Guards the hex transcription: Figure 3 is 8 full rows and 7 bytes; the others full rows.
    assert len(RFC_KNOWN_REQUEST) == 8 * 16 + 7
    assert len(RFC_INDETERMINATE_REQUEST) == 9 * 16
    assert len(RFC_INDETERMINATE_RESPONSE) == 23 * 16
    assert len(RFC_KNOWN_RESPONSE) == 3 * 16
    assert RFC_INDETERMINATE_REQUEST.endswith(bytes(13))  # 3 terminators + 10 bytes of padding


def test_rfc_known_length_request_decodes():
    assert decode_request(RFC_KNOWN_REQUEST) == RFC_REQUEST


def test_rfc_known_length_request_encodes_byte_for_byte():
    assert encode_request(RFC_REQUEST) == RFC_KNOWN_REQUEST


def test_rfc_known_length_request_truncated_by_two_bytes_means_the_same():
    # §5.1: "the last two bytes ... can each be removed without altering the semantics".
    assert decode_request(RFC_KNOWN_REQUEST[:-1]) == RFC_REQUEST
    assert decode_request(RFC_KNOWN_REQUEST[:-2]) == RFC_REQUEST
    # A third byte is inside the header section: no longer a boundary.
    malformed(decode_request, RFC_KNOWN_REQUEST[:-3])


def test_rfc_indeterminate_length_request_decodes():
    assert decode_request(RFC_INDETERMINATE_REQUEST) == RFC_REQUEST


def test_rfc_indeterminate_length_request_encodes_byte_for_byte_with_its_padding():
    assert encode_request(RFC_REQUEST, padding=10, indeterminate=True) == RFC_INDETERMINATE_REQUEST


@pytest.mark.parametrize("removed", range(13))
def test_rfc_indeterminate_request_loses_up_to_twelve_bytes_without_changing(removed):
    # §5.1: "anything up to 12 bytes can be removed from this message without affecting its
    # meaning". The 13th is the header section's terminator.
    data = RFC_INDETERMINATE_REQUEST[: len(RFC_INDETERMINATE_REQUEST) - removed]
    assert decode_request(data) == RFC_REQUEST


def test_rfc_indeterminate_request_without_its_header_terminator_is_invalid():
    error = malformed(decode_request, RFC_INDETERMINATE_REQUEST[:-13])
    assert "field name length" in error.detail


def test_rfc_response_with_informational_responses_decodes():
    assert decode_response(RFC_INDETERMINATE_RESPONSE) == RFC_RESPONSE


def test_rfc_response_with_informational_responses_encodes_byte_for_byte():
    assert encode_response(RFC_RESPONSE, indeterminate=True) == RFC_INDETERMINATE_RESPONSE


def test_rfc_known_length_response_decodes():
    assert decode_response(RFC_KNOWN_RESPONSE) == RFC_CHUNKED_RESPONSE


def test_rfc_known_length_response_encodes_byte_for_byte():
    assert encode_response(RFC_CHUNKED_RESPONSE) == RFC_KNOWN_RESPONSE


def test_rfc_response_in_the_other_framing_round_trips():
    encoded = encode_response(RFC_RESPONSE)
    assert encoded[0] == bhttp.KNOWN_LENGTH_RESPONSE
    assert decode_response(encoded) == RFC_RESPONSE
    encoded = encode_response(RFC_CHUNKED_RESPONSE, indeterminate=True)
    assert encoded[0] == bhttp.INDETERMINATE_LENGTH_RESPONSE
    assert decode_response(encoded) == RFC_CHUNKED_RESPONSE


def test_rfc_chunked_response_in_indeterminate_framing():
    # Figure 8's message as Figure 6 would frame it: one chunk, then each section's terminator.
    expected = (
        bytes.fromhex("03 40c8 00 1d".replace(" ", ""))
        + RFC_CHUNKED_RESPONSE.content
        + b"\x00\x07trailer\x04text\x00"
    )
    assert encode_response(RFC_CHUNKED_RESPONSE, indeterminate=True) == expected
    assert decode_response(expected) == RFC_CHUNKED_RESPONSE


def test_smallest_messages_stop_after_their_control_data():
    tiny = b"\x00\x03GET\x05https\x0bexample.com\x01/"
    assert decode_request(tiny) == Request("GET", "https", "example.com", "/")
    assert decode_request(b"\x02" + tiny[1:]) == Request("GET", "https", "example.com", "/")
    assert decode_response(b"\x01\x40\xc8") == Response(200)
    assert decode_response(b"\x03\x40\xc8") == Response(200)


def test_a_length_that_overruns_the_buffer_stops_before_allocating():
    error = malformed(decode_request, b"\x00" + b"\xff" * 8)  # method length 2**62 - 1
    assert "control data exceeds" in error.detail
    error = malformed(decode_request, b"\x00\x01")
    assert "method runs past the end" in error.detail


def test_rfc_known_length_response_decodes_only_at_section_boundaries():
    # 01 | 40c8 | 00 (headers) | 1d + 29 bytes (content) | 0d + 13 bytes (trailers)
    without_trailers = Response(status=200, content=RFC_CHUNKED_RESPONSE.content)
    expected = {3: Response(status=200), 4: Response(status=200), 34: without_trailers}
    expected[len(RFC_KNOWN_RESPONSE)] = RFC_CHUNKED_RESPONSE
    for end in range(len(RFC_KNOWN_RESPONSE) + 1):
        if end in expected:
            assert decode_response(RFC_KNOWN_RESPONSE[:end]) == expected[end], end
        else:
            malformed(decode_response, RFC_KNOWN_RESPONSE[:end])


@pytest.mark.parametrize(
    ("decode", "message"),
    [
        (decode_response, RFC_KNOWN_REQUEST),
        (decode_response, RFC_INDETERMINATE_REQUEST),
        (decode_request, RFC_KNOWN_RESPONSE),
        (decode_request, RFC_INDETERMINATE_RESPONSE),
    ],
)
def test_requests_and_responses_are_told_apart_by_the_framing_indicator(decode, message):
    error = malformed(decode, message)
    assert "framing indicator" in error.detail


# --- integers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (0, 1),
        (63, 1),
        (64, 2),
        (16383, 2),
        (16384, 4),
        (2**30 - 1, 4),
        (2**30, 8),
        (2**62 - 1, 8),
    ],
)
def test_varint_sizes_and_round_trip(value, size):
    encoded = bhttp._varint(value)
    assert len(encoded) == size
    assert encoded[0] >> 6 == size.bit_length() - 1
    reader = bhttp._Reader(encoded, 0, len(encoded))
    assert reader.varint("test") == value
    assert reader.at_end()


def test_varint_examples_from_rfc9000_appendix_a1():
    for hex_value, value in [
        ("c2197c5eff14e88c", 151_288_809_941_952_652),
        ("9d7f3e7d", 494_878_333),
        ("7bbd", 15_293),
        ("25", 37),
        ("4025", 37),  # the same value on two bytes
    ]:
        data = bytes.fromhex(hex_value)
        assert bhttp._Reader(data, 0, len(data)).varint("test") == value


def test_varint_beyond_62_bits_is_refused_by_the_encoder():
    malformed(bhttp._varint, 2**62)


def test_non_minimal_integers_are_accepted_everywhere():
    # RFC 9292 §3: "Integer values do not need to be encoded on the minimum number of bytes".
    data = bytes.fromhex(
        "4000"  # framing indicator 0 on two bytes
        "80000003" + b"GET".hex() + "c000000000000005" + b"https".hex() + "4000" + "4001" + "2f"
        "4006"  # header section length 6
        "4001"
        + "61"
        + "4001"
        + "62"  # a: b
        "800000 03".replace(" ", "")
        + "78797a"  # content "xyz", length on four bytes
    )
    assert decode_request(data) == Request(
        method="GET", scheme="https", authority="", path="/", headers=(("a", "b"),), content=b"xyz"
    )
    assert decode_response(bytes.fromhex("800000 01 80 00 00 c8".replace(" ", ""))) == Response(
        status=200
    )


def test_truncated_integers_are_malformed():
    malformed(decode_request, b"")
    malformed(decode_request, b"\x40")  # a two-byte framing indicator cut after one
    malformed(decode_response, b"\x01\x40")  # status cut
    malformed(decode_response, b"\x01\xc0\x00\x00\x00\x00\x00\x00")  # 8-byte status cut


# --- round trips ------------------------------------------------------------------------------

TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
NAME_CHARS = TCHAR[: TCHAR.index("A")]
VALUE_CHARS = "\t" + "".join(map(chr, range(0x20, 0x7F))) + "".join(map(chr, range(0x80, 0x100)))
VISIBLE = "".join(map(chr, range(0x21, 0x7F)))

names = st.text(NAME_CHARS, min_size=1, max_size=12)
values = st.text(VALUE_CHARS, max_size=40).map(lambda v: v.strip(" \t"))
field_lists = st.lists(st.tuples(names, values), max_size=6).map(tuple)
pseudo_fields = st.lists(
    st.tuples(names.map(lambda n: ":" + n), values).filter(
        lambda f: f[0] not in (":method", ":scheme", ":authority", ":path", ":status")
    ),
    max_size=2,
).map(tuple)
header_lists = st.tuples(pseudo_fields, field_lists).map(lambda p: p[0] + p[1])
contents = st.one_of(st.just(b""), st.binary(max_size=300), st.binary(min_size=60, max_size=70))


@st.composite
def requests(draw) -> Request:
    if draw(st.booleans()):
        scheme = draw(st.sampled_from(["https", "http", "HTTPS"]))
        method = draw(st.text(TCHAR, min_size=1, max_size=8))
        if method == "OPTIONS" and draw(st.booleans()):
            path = "*"
        else:
            path = "/" + draw(st.text(VISIBLE, max_size=40))
        authority = draw(st.text(VISIBLE.replace("@", ""), max_size=30))
    else:
        scheme = draw(st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9+.\-]{0,8}\Z"))
        assume(scheme.lower() not in ("http", "https"))
        method = draw(st.text(TCHAR, min_size=1, max_size=8))
        path = draw(st.text(VISIBLE, min_size=1, max_size=40))
        authority = draw(st.text(VISIBLE, max_size=30))
    return Request(
        method=method,
        scheme=scheme,
        authority=authority,
        path=path,
        headers=draw(header_lists),
        content=draw(contents),
        trailers=draw(field_lists),
    )


responses = st.builds(
    Response,
    status=st.integers(200, 599),
    headers=header_lists,
    content=contents,
    trailers=field_lists,
    informational=st.lists(st.tuples(st.integers(100, 199), header_lists), max_size=3).map(tuple),
)
framings = st.sampled_from([False, True])  # indeterminate?
paddings = st.one_of(st.just(0), st.integers(0, 70))


@PROPERTY
@given(requests(), framings, paddings)
@example(RFC_REQUEST, True, 10)
def test_request_round_trip(request, indeterminate, padding):
    encoded = encode_request(request, padding=padding, indeterminate=indeterminate)
    assert encoded[0] == (2 if indeterminate else 0)
    assert encoded.endswith(bytes(padding))
    assert decode_request(encoded) == request
    assert len(encoded) == len(encode_request(request, indeterminate=indeterminate)) + padding


@PROPERTY
@given(responses, framings, paddings)
@example(RFC_RESPONSE, True, 0)
def test_response_round_trip(response, indeterminate, padding):
    encoded = encode_response(response, padding=padding, indeterminate=indeterminate)
    assert encoded[0] == (3 if indeterminate else 1)
    assert decode_response(encoded) == response
    assert len(encoded) == len(encode_response(response, indeterminate=indeterminate)) + padding


def test_decoders_accept_bytearray_and_memoryview():
    assert decode_request(bytearray(RFC_KNOWN_REQUEST)) == RFC_REQUEST
    assert decode_response(memoryview(RFC_KNOWN_RESPONSE)) == RFC_CHUNKED_RESPONSE


def test_field_values_are_latin1_both_ways():
    request = Request("POST", "https", "a.example", "/", headers=(("x", "caf\u00e9 \u00ff"),))
    encoded = encode_request(request)
    assert b"caf\xe9 \xff" in encoded
    assert decode_request(encoded) == request


def test_encoder_lowercases_field_names():
    request = Request("GET", "https", "", "/", headers=(("Content-Type", "text/plain"),))
    assert decode_request(encode_request(request)).headers == (("content-type", "text/plain"),)


def test_encoder_strips_whitespace_around_field_values():
    # RFC 9110 5.5: leading and trailing whitespace is not part of a field value.
    response = Response(200, headers=(("x", " \tpadded value\t "),), trailers=(("y", "  "),))
    decoded = decode_response(encode_response(response))
    assert decoded.headers == (("x", "padded value"),)
    assert decoded.trailers == (("y", ""),)


def test_padding_is_zeros_appended():
    plain = encode_request(RFC_REQUEST)
    padded = encode_request(RFC_REQUEST, padding=33)
    assert padded == plain + bytes(33)
    with pytest.raises(ValueError):
        encode_request(RFC_REQUEST, padding=-1)


def test_empty_content_in_indeterminate_framing_is_one_terminator():
    # Figure 4 writes empty content as a single zero: no zero-length chunk.
    encoded = encode_response(Response(status=204), indeterminate=True)
    assert encoded == bytes.fromhex("03 40cc 00 00 00".replace(" ", ""))


def test_indeterminate_content_in_several_chunks_is_joined():
    data = bytes.fromhex("03 40c8 00 03616263 01 64 00 00".replace(" ", ""))
    assert decode_response(data) == Response(status=200, content=b"abcd")


# --- truncation and garbage -------------------------------------------------------------------


def _request_prefix_meanings(request: Request) -> list[Request]:
    """What a decoder may read from a prefix: the message, or it with trailing parts emptied."""
    empty = Request(request.method, request.scheme, request.authority, request.path)
    return [
        request,
        Request(**{**request.__dict__, "trailers": ()}),
        Request(**{**request.__dict__, "trailers": (), "content": b""}),
        empty,
    ]


def _response_prefix_meanings(response: Response) -> list[Response]:
    return [
        response,
        Response(**{**response.__dict__, "trailers": ()}),
        Response(**{**response.__dict__, "trailers": (), "content": b""}),
        Response(status=response.status, informational=response.informational),
    ]


def _ends_that_decode(encoded, decode, meanings) -> list[int]:
    """Decode every proper prefix of ``encoded``: each is malformed or one of ``meanings`` (a
    truncation RFC 9292 §3.8 allows); returns the lengths that decoded."""
    decoded_ends = []
    for end in range(len(encoded)):
        try:
            got = decode(encoded[:end])
        except SignatureError as error:
            assert error.code == BINARY_HTTP_MALFORMED
        else:
            assert got in meanings, end
            decoded_ends.append(end)
    return decoded_ends


@PROPERTY
@given(requests(), framings, st.integers(0, 3))
def test_every_truncation_of_a_request_is_malformed_or_a_truncation_the_rfc_allows(
    request, indeterminate, padding
):
    encoded = encode_request(request, padding=padding, indeterminate=indeterminate)
    meanings = _request_prefix_meanings(request)
    # At least the prefix that stops right after the control data always decodes.
    assert _ends_that_decode(encoded, decode_request, meanings)


@PROPERTY
@given(responses, framings, st.integers(0, 3))
def test_every_truncation_of_a_response_is_malformed_or_a_truncation_the_rfc_allows(
    response, indeterminate, padding
):
    encoded = encode_response(response, padding=padding, indeterminate=indeterminate)
    meanings = _response_prefix_meanings(response)
    assert _ends_that_decode(encoded, decode_response, meanings)


def _only_malformed(call, data: bytes) -> None:
    try:
        call(data)
    except SignatureError as error:
        assert error.code == BINARY_HTTP_MALFORMED
        assert error.status == 400


@PROPERTY
@given(st.binary(max_size=200))
@example(b"\x00\x03GET")
@example(b"\x01\xff\xff\xff\xff\xff\xff\xff\xff")
@example(b"\x00\x3f")
def test_garbage_raises_only_binary_http_malformed(data):
    _only_malformed(decode_request, data)
    _only_malformed(decode_response, data)
    _only_malformed(decode_request, b"\x00" + data)
    _only_malformed(decode_request, b"\x02" + data)
    _only_malformed(decode_response, b"\x01" + data)
    _only_malformed(decode_response, b"\x03" + data)


@PROPERTY
@given(
    st.sampled_from(
        [
            RFC_KNOWN_REQUEST,
            RFC_INDETERMINATE_REQUEST,
            RFC_KNOWN_RESPONSE,
            RFC_INDETERMINATE_RESPONSE,
        ]
    ),
    st.data(),
)
def test_mutated_rfc_messages_raise_only_binary_http_malformed(message, data):
    buffer = bytearray(message)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(buffer) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.integers(0, 255))
        if action == "replace":
            buffer[index] = byte
        elif action == "insert":
            buffer.insert(index, byte)
        elif len(buffer) > 1:
            del buffer[index]
    _only_malformed(decode_request, bytes(buffer))
    _only_malformed(decode_response, bytes(buffer))


@pytest.mark.parametrize("value", ["not bytes", None, 42, [0, 1]])
def test_non_bytes_input_is_malformed(value):
    malformed(decode_request, value)
    malformed(decode_response, value)


# --- what makes a message invalid -------------------------------------------------------------


def request_bytes(
    *,
    framing: int = 0,
    method: bytes = b"GET",
    scheme: bytes = b"https",
    authority: bytes = b"example.com",
    path: bytes = b"/",
    fields: list[tuple[bytes, bytes]] | None = None,
    trailers: list[tuple[bytes, bytes]] | None = None,
    tail: bytes = b"",
) -> bytes:
    """A hand-built known-length request, bypassing the encoder's checks."""

    def vec(b: bytes) -> bytes:
        return bhttp._varint(len(b)) + b

    def section(lines: list[tuple[bytes, bytes]]) -> bytes:
        return vec(b"".join(vec(n) + vec(v) for n, v in lines))

    out = bytes([framing]) + vec(method) + vec(scheme) + vec(authority) + vec(path)
    out += section(fields or []) + vec(b"") + section(trailers or [])
    return out + tail


def test_hand_built_request_is_valid_as_a_control():
    assert decode_request(request_bytes(fields=[(b"a", b"b")], trailers=[(b"c", b"d")])) == (
        Request("GET", "https", "example.com", "/", (("a", "b"),), b"", (("c", "d"),))
    )


@pytest.mark.parametrize("framing", [4, 5, 63])
def test_unknown_framing_indicators_are_malformed(framing):
    error = malformed(decode_request, request_bytes(framing=framing))
    assert "framing indicator" in error.detail
    malformed(decode_response, bytes([framing]) + RFC_KNOWN_RESPONSE[1:])


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"method": b""}, "method"),
        ({"method": b"GE T"}, "method"),
        ({"method": b"GET\r\n"}, "method"),
        ({"method": b"G(T"}, "method"),
        ({"scheme": b""}, "scheme"),
        ({"scheme": b"1http"}, "scheme"),
        ({"scheme": b"ht tp"}, "scheme"),
        ({"authority": b"exa mple.com"}, "authority"),
        ({"authority": b"example.com\x00"}, "authority"),
        ({"authority": b"user@example.com"}, "userinfo"),
        ({"authority": b"caf\xe9.example"}, "authority"),
        ({"path": b""}, "path"),
        ({"path": b"/a b"}, "path"),
        ({"path": b"/\r\nX: y"}, "path"),
        ({"path": b"/\x80"}, "path"),
        ({"path": b"api/notes"}, "'/'"),
        ({"scheme": b"HTTP", "path": b"api/notes"}, "'/'"),  # schemes are case-insensitive
        ({"path": b"*"}, "OPTIONS"),
    ],
)
def test_bad_control_data_is_malformed(changes, detail):
    error = malformed(decode_request, request_bytes(**changes))
    assert detail in error.detail


def test_control_data_rules_a_valid_request_can_satisfy():
    assert decode_request(request_bytes(method=b"OPTIONS", path=b"*")).path == "*"
    # Other schemes need neither a leading "/" nor an authority without "@".
    got = decode_request(request_bytes(scheme=b"coap+tcp", authority=b"u@h", path=b"x"))
    assert (got.scheme, got.authority, got.path) == ("coap+tcp", "u@h", "x")
    assert decode_request(request_bytes(authority=b"")).authority == ""


@pytest.mark.parametrize(
    ("field", "detail"),
    [
        ((b"Content-Type", b"x"), "lowercase token"),
        ((b"a b", b"x"), "lowercase token"),
        ((b"a:b", b"x"), "lowercase token"),
        ((b"caf\xe9", b"x"), "lowercase token"),
        ((b"x", b"a\rb"), "control character"),
        ((b"x", b"a\nb"), "control character"),
        ((b"x", b"a\x00b"), "control character"),
        ((b"x", b"a\x7fb"), "control character"),
        ((b"x", b"a\x1bb"), "control character"),
        ((b"x", b" a"), "whitespace"),
        ((b"x", b"a\t"), "whitespace"),
        ((b":method", b"GET"), "reserved pseudo-field"),
        ((b":scheme", b"https"), "reserved pseudo-field"),
        ((b":authority", b"x"), "reserved pseudo-field"),
        ((b":path", b"/"), "reserved pseudo-field"),
        ((b":status", b"200"), "reserved pseudo-field"),
        ((b":", b"x"), "pseudo-field name"),
        ((b":Protocol", b"x"), "pseudo-field name"),
    ],
)
def test_bad_fields_are_malformed_in_headers_and_trailers(field, detail):
    error = malformed(decode_request, request_bytes(fields=[field]))
    assert detail in error.detail
    malformed(decode_request, request_bytes(trailers=[field]))


def test_valid_values_include_inner_whitespace_tabs_and_obs_text():
    got = decode_request(request_bytes(fields=[(b"x", b"a \t b\xff"), (b"y", b"")]))
    assert got.headers == (("x", "a \t b\xff"), ("y", ""))


def test_extension_pseudo_fields_come_first_and_only_in_headers():
    # §3.6: other pseudo-fields MAY be included; they precede regular fields; not in trailers.
    ok = decode_request(request_bytes(fields=[(b":protocol", b"websocket"), (b"a", b"b")]))
    assert ok.headers == ((":protocol", "websocket"), ("a", "b"))
    error = malformed(decode_request, request_bytes(fields=[(b"a", b"b"), (b":protocol", b"x")]))
    assert "after a regular field" in error.detail
    error = malformed(decode_request, request_bytes(trailers=[(b":protocol", b"x")]))
    assert "trailer" in error.detail


def test_empty_field_name_is_malformed_in_known_length_sections():
    # Name Length (i) = 1.. : a zero-length name is a terminator only in indeterminate framing.
    error = malformed(decode_request, request_bytes(fields=[(b"", b"x")]))
    assert "empty" in error.detail


def test_nonzero_padding_is_malformed():
    assert decode_request(request_bytes(tail=bytes(5))).method == "GET"
    error = malformed(decode_request, request_bytes(tail=b"\x00\x00\x01"))
    assert "padding" in error.detail
    malformed(decode_request, RFC_INDETERMINATE_REQUEST[:-1] + b"\x01")
    malformed(decode_response, RFC_KNOWN_RESPONSE + b"\x00\x2a")


@pytest.mark.parametrize("status", [0, 99, 600, 999, 2**62 - 1])
def test_final_status_outside_200_599_is_malformed(status):
    data = b"\x01" + bhttp._varint(status) + b"\x00\x00\x00"
    error = malformed(decode_response, data)
    assert "200-599" in error.detail


@pytest.mark.parametrize("indeterminate", [False, True])
def test_informational_status_range_is_100_to_199(indeterminate):
    response = Response(200, informational=((100, ()), (199, (("a", "b"),))))
    encoded = encode_response(response, indeterminate=indeterminate)
    assert decode_response(encoded) == response
    for status in (99, 200):
        malformed(encode_response, Response(200, informational=((status, ()),)))


def test_informational_without_a_final_response_is_malformed():
    malformed(decode_response, bytes.fromhex("01 4064 00".replace(" ", "")))  # 100, empty fields
    malformed(decode_response, bytes.fromhex("01 4064".replace(" ", "")))
    malformed(decode_response, bytes.fromhex("03 4064 00".replace(" ", "")))
    good = decode_response(bytes.fromhex("01 4064 00 40c8".replace(" ", "")))
    assert good == Response(status=200, informational=((100, ()),))


def test_informational_responses_take_no_reserved_pseudo_fields():
    data = bytes.fromhex("01 4064 09 07") + b":status" + b"\x00" + bytes.fromhex("40c8")
    error = malformed(decode_response, data)
    assert "reserved" in error.detail


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (request_bytes()[:-3] + b"\x05ab", "header section runs past the end"),
        (request_bytes()[:-2] + b"\x09abc", "content runs past the end"),
        (request_bytes()[:-1] + b"\x04\x01a\x05b", "field value runs past the end"),
        (request_bytes()[:-1] + b"\x02\x01a", "field value length"),
        (b"\x00\x03GE", "method runs past the end"),
        (b"\x00\x03GET\x05https\x00", "path length"),
        (bytes.fromhex("02 03") + b"GET\x05https\x00\x01/" + b"\x01a\x01b", "field name length"),
        (bytes.fromhex("03 40c8 00 05") + b"abcde", "content chunk length"),
        (bytes.fromhex("03 40c8 00 05") + b"abc", "content chunk runs past the end"),
        (bytes.fromhex("03 40c8 00 00 01") + b"a", "field value length"),
    ],
)
def test_truncated_inside_a_part_is_malformed(data, detail):
    decode = decode_request if data[0] in (0, 2) else decode_response
    error = malformed(decode, data)
    assert detail in error.detail


# --- limits -----------------------------------------------------------------------------------


def test_default_limits():
    assert Limits() == DEFAULT_LIMITS
    assert DEFAULT_LIMITS.max_fields == 256
    assert DEFAULT_LIMITS.max_field_section == 65536
    assert DEFAULT_LIMITS.max_content == 10 * 1024 * 1024


@pytest.mark.parametrize("indeterminate", [False, True])
def test_field_count_limit_counts_every_section(indeterminate):
    request = Request("GET", "https", "", "/", (("a", "1"), ("b", "2")), b"", (("c", "3"),))
    encoded = encode_request(request, indeterminate=indeterminate)
    assert decode_request(encoded, limits=Limits(max_fields=3)) == request
    error = malformed(decode_request, encoded, limits=Limits(max_fields=2))
    assert "more than 2 field lines" in error.detail
    response = Response(200, (("a", "1"),), informational=((103, (("l", "x"),)),))
    encoded = encode_response(response, indeterminate=indeterminate)
    assert decode_response(encoded, limits=Limits(max_fields=2)) == response
    malformed(decode_response, encoded, limits=Limits(max_fields=1))


@pytest.mark.parametrize("indeterminate", [False, True])
def test_field_section_size_limit(indeterminate):
    request = Request("GET", "https", "", "/", (("name", "v" * 100),))
    encoded = encode_request(request, indeterminate=indeterminate)
    size = 1 + 4 + 2 + 100  # name length, name, value length (two bytes: 100 > 63), value
    assert decode_request(encoded, limits=Limits(max_field_section=size)) == request
    error = malformed(decode_request, encoded, limits=Limits(max_field_section=size - 1))
    assert "exceeds" in error.detail


def test_field_section_limit_is_checked_before_the_bytes_are_there():
    # A header section that claims 2**62 - 1 bytes is refused on its length, not read.
    data = b"\x00\x03GET\x05https\x00\x01/" + bhttp._varint(2**62 - 1)
    error = malformed(decode_request, data)
    assert "exceeds 65536" in error.detail
    # With a limit above the claim, it is the missing bytes that fail, still before slicing.
    error = malformed(decode_request, data, limits=Limits(max_field_section=2**63))
    assert "runs past the end" in error.detail


def test_indeterminate_field_section_limit_is_checked_before_each_name_and_value():
    # No length prefix on the section: each name and value is measured against what is left.
    head = b"\x02\x03GET\x05https\x00\x01/"
    huge = bhttp._varint(2**62 - 1)
    error = malformed(decode_request, head + huge, limits=Limits(max_field_section=100))
    assert "exceeds 100" in error.detail
    error = malformed(decode_request, head + b"\x01a" + huge, limits=Limits(max_field_section=100))
    assert "exceeds 100" in error.detail
    # The same lengths under a larger limit fail on the missing bytes instead.
    roomy = Limits(max_field_section=2**63)
    error = malformed(decode_request, head + b"\x01a" + huge, limits=roomy)
    assert "runs past the end" in error.detail


@pytest.mark.parametrize("indeterminate", [False, True])
def test_content_limit(indeterminate):
    response = Response(200, content=b"x" * 1000)
    encoded = encode_response(response, indeterminate=indeterminate)
    assert decode_response(encoded, limits=Limits(max_content=1000)) == response
    error = malformed(decode_response, encoded, limits=Limits(max_content=999))
    assert "content exceeds 999" in error.detail


def test_content_limit_sums_indeterminate_chunks():
    data = bytes.fromhex("03 40c8 00 03616263 03646566 00 00".replace(" ", ""))
    assert decode_response(data, limits=Limits(max_content=6)).content == b"abcdef"
    error = malformed(decode_response, data, limits=Limits(max_content=5))
    assert "content exceeds 5" in error.detail


def test_content_limit_is_checked_before_the_bytes_are_there():
    data = bytes.fromhex("01 40c8 00") + bhttp._varint(2**62 - 1)
    error = malformed(decode_response, data)
    assert "content exceeds" in error.detail
    error = malformed(decode_response, data, limits=Limits(max_content=2**63))
    assert "runs past the end" in error.detail


def test_control_data_limit():
    data = request_bytes(authority=b"a" * 50, path=b"/" + b"p" * 49)
    limit = 3 + 5 + 50 + 50
    assert decode_request(data, limits=Limits(max_control_data=limit)).authority == "a" * 50
    error = malformed(decode_request, data, limits=Limits(max_control_data=limit - 1))
    assert "control data exceeds" in error.detail


def test_informational_response_limit():
    response = Response(204, informational=((100, ()),) * 3)
    encoded = encode_response(response)
    assert decode_response(encoded, limits=Limits(max_informational=3)) == response
    error = malformed(decode_response, encoded, limits=Limits(max_informational=2))
    assert "informational responses" in error.detail


# --- encoder refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        Request("G T", "https", "", "/"),
        Request("GET", "https", "", ""),
        Request("GET", "https", "", "/caf\u00e9"),
        Request("GET", "https", "", "/", headers=(("x", "a\r\nb"),)),
        Request("GET", "https", "", "/", headers=(("x y", "a"),)),
        Request("GET", "https", "", "/", headers=(("x", "\u20ac"),)),
        Request("GET", "https", "", "/", headers=((":path", "/"),)),
        Request("GET", "https", "", "/", trailers=((":x", "/"),)),
        Response(99),
        Response(600),
        Response(200, informational=((200, ()),)),
        Response(200, headers=(("x", "a\x00b"),)),
    ],
)
def test_encoder_refuses_what_a_decoder_would_reject(message):
    encode = encode_request if isinstance(message, Request) else encode_response
    malformed(encode, message)


def test_core_package_does_not_reexport_bhttp_names():
    import signed_api.core as core

    assert "Request" not in core.__all__
    assert not hasattr(core, "decode_request")

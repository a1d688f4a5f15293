"""RFC 9421 Section 2 component examples and the error cases of 2.5, against the core.

Each vector names its section; the expected values are the RFC's printed ones (see
``vectors/rfc9421_section2.json``), never values computed here.
"""

from __future__ import annotations

import pytest

from tests.unit.rfc_vectors import load, request_from, response_from

core = pytest.importorskip("signed_api.core")

SEC2 = load("rfc9421_section2")


def _test_id(vector: dict) -> str:
    section = vector["source"].split(" ")[2]
    ident = (
        vector["component"]
        .replace('"', "")
        .replace("@", "")
        .replace(";", "_")
        .replace("=", "_")
        .replace("%", "")
        .replace("-", "_")
    )
    return f"{section.replace('.', '_')}_{ident}"


# Includes RFC 9421 §2.1's obsolete line folding, which the core replaces with one space.
COMPONENTS = [pytest.param(v, id=_test_id(v)) for v in SEC2["components"]]


@pytest.mark.parametrize("vector", COMPONENTS)
def test_rfc9421_2_component_value(vector):
    message = request_from(vector["message"])
    component = core.Component.parse(vector["component"])
    assert core.component_value(message, component) == vector["expected_value"]


@pytest.mark.parametrize("vector", COMPONENTS)
def test_rfc9421_2_signature_base_line(vector):
    message = request_from(vector["message"])
    base = core.signature_base(message, [vector["component"]], {})
    first, last = base.split("\n")
    assert first == vector["expected_line"]
    assert last == f'"@signature-params": ({vector["component"]})'


@pytest.mark.parametrize("vector", [pytest.param(v, id=_test_id(v)) for v in SEC2["components"]])
def test_rfc9421_2_component_identifier_round_trips(vector):
    assert str(core.Component.parse(vector["component"])) == vector["component"]


def test_rfc9421_2_2_9_status():
    (vector,) = SEC2["response_components"]
    message = response_from(vector["message"])
    assert core.component_value(message, core.Component.parse('"@status"')) == "200"
    assert core.signature_base(message, ['"@status"'], {}).split("\n")[0] == vector["expected_line"]


def test_rfc9421_2_2_8_query_param():
    """The encoded-name example: three @query-param lines in one base, in the order asked."""
    vectors = [
        v
        for v in SEC2["components"]
        if v["message"]["url"].startswith("https://www.example.com/parameters?")
    ]
    assert len(vectors) == 3
    message = request_from(vectors[0]["message"])
    base = core.signature_base(message, [v["component"] for v in vectors], {})
    assert base.split("\n")[:3] == [v["expected_line"] for v in vectors]


def test_rfc9421_2_1_field_lines_combine_in_order():
    """Swapping two field lines of one name changes the value (cf. B.4's last message)."""
    fields = SEC2["components"][0]["message"]
    message = request_from(fields)
    swapped = dict(
        fields,
        headers=[h for h in fields["headers"] if h[0] != "Cache-Control"]
        + [["Cache-Control", "must-revalidate"], ["Cache-Control", "max-age=60"]],
    )
    component = core.Component.parse('"cache-control"')
    assert core.component_value(message, component) == "max-age=60, must-revalidate"
    assert core.component_value(request_from(swapped), component) == "must-revalidate, max-age=60"


def test_rfc9421_2_3_signature_params():
    vector = SEC2["signature_params_2_3"]
    message = request_from(vector["message"])
    base = core.signature_base(message, vector["covered_components"], vector["params"])
    assert base.split("\n")[-1] == '"@signature-params": ' + vector["expected_value"]


def test_rfc9421_2_3_signature_params_keep_the_given_order():
    """No general ordering of parameters (2.3): the order chosen is the order serialized."""
    vector = SEC2["signature_params_2_3"]
    message = request_from(vector["message"])
    reordered = {k: vector["params"][k] for k in ("created", "expires", "keyid", "alg")}
    last = core.signature_base(message, vector["covered_components"], reordered).split("\n")[-1]
    assert last.endswith(
        ';created=1618884475;expires=1618884775;keyid="test-key-rsa-pss";alg="rsa-pss-sha512"'
    )


def test_rfc9421_2_component_object_and_string_give_the_same_base():
    vector = SEC2["signature_base_2_5"]
    message = request_from(vector["message"])
    objects = [core.Component.parse(c) for c in vector["covered_components"]]
    assert core.signature_base(message, objects, vector["params"]) == vector["signature_base"]


def test_rfc9421_2_1_1_component_built_with_params():
    message = request_from(SEC2["components"][0]["message"])
    component = core.Component("example-dict", {"sf": True})
    assert str(component) == '"example-dict";sf'
    assert core.component_value(message, component) == "a=1, b=2;x=1;y=2, c=(a b c)"


ERRORS = [
    pytest.param(e, id="2_5_" + e["case"].replace(" ", "_").replace("@", ""))
    for e in SEC2["errors_2_5"]
]


@pytest.mark.parametrize("case", ERRORS)
def test_rfc9421_2_5_error_cases_raise(case):
    message = request_from(case["message"])
    with pytest.raises(core.SignatureError) as err:
        core.signature_base(message, case["components"], {"created": 1618884473, "keyid": "k"})
    # A 2.5 error is a component the message lacks, or a component list that is malformed.
    assert err.value.code in {"component_missing", "signature_malformed"}, err.value.code
    assert err.value.status == 401
    assert err.value.detail
    # the same message with a valid component list builds a base: the error is the case's own
    base = core.signature_base(
        message, case["control_components"], {"created": 1618884473, "keyid": "k"}
    )
    assert base.count("\n") == len(case["control_components"])


def test_rfc9421_2_5_req_on_a_response_without_its_request_raises():
    vector = SEC2["request_response_2_4"]
    response = response_from(vector["response"], request=None)
    with pytest.raises(core.SignatureError):
        core.signature_base(response, ['"@method";req'], {})


def test_rfc9421_2_2_request_derived_component_on_a_response_raises():
    (vector,) = SEC2["response_components"]
    response = response_from(vector["message"])
    for name in ('"@method"', '"@path"', '"@authority"', '"@query"'):
        with pytest.raises(core.SignatureError):
            core.signature_base(response, [name], {})

"""What people type, normalized once: one-line fields refuse what would break a line."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from releases.text import OneLine, clean_field

BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1e", "\x85", "\u2028", "\u2029"]
CONTROLS = {
    "\x00": "U+0000",
    "\x07": "U+0007",
    "\x1b": "U+001B",
    "\x7f": "U+007F",
    "\x9b": "U+009B",
}


def title(value: str) -> str:
    return clean_field(
        value, field="title", label="The title", required=True, max_length=200, line=True
    )


def refusal(value: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        title(value)
    return caught.value.message_dict["title"]


@pytest.mark.parametrize("char", BREAKS, ids=[f"U+{ord(c[-1]):04X}" for c in BREAKS])
def test_a_one_line_field_refuses_a_line_break_inside(char):
    assert refusal(f"Payments down{char}Bcc: attacker@evil.example") == [
        "The title must be on one line: remove the line break."
    ]


def test_it_refuses_a_tab():
    assert refusal("Payments\tdown") == ["The title must be on one line: remove the tab."]


@pytest.mark.parametrize("char", list(CONTROLS), ids=list(CONTROLS.values()))
def test_it_refuses_other_control_characters_by_their_code(char):
    assert refusal(f"Payments{char}down") == [
        f"The title must be on one line: remove the invisible control character {CONTROLS[char]}."
    ]


def test_it_trims_the_ends_as_a_form_does():
    assert title("  Payments down\r\n") == "Payments down"
    assert title("\u2028Payments  down\u2029") == "Payments  down"


def test_it_keeps_what_is_not_a_control_character():
    typed = '<script>alert("x")</script> Zahlungen ausgefallen 👩‍💻 \u202eevil'
    assert title(typed) == typed


def test_multi_line_fields_keep_their_lines():
    value = clean_field(
        "One\r\nTwo\rThree\tfour", field="d", label="It", required=False, max_length=100
    )
    assert value == "One\nTwo\nThree\tfour"


def test_a_form_validator_says_what_the_service_says():
    with pytest.raises(ValidationError) as caught:
        OneLine("The title")("Payments down\nBcc: attacker@evil.example")
    assert caught.value.messages == ["The title must be on one line: remove the line break."]

"""Erasure requests: e-mails and CRM ids, one or a file of many, bad lines named one by one."""

import pytest

from gtm.privacy import keys
from gtm.privacy.subjects import RequestFileError, gather, parse_subject


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("  Ann.Lee@Acme.IO ", "email", "ann.lee@acme.io"),
        ("hubspot:1234", "hubspot_contact", "1234"),
        ("1234", "hubspot_contact", "1234"),
        ("salesforce:00Q5g0000004CIAEA2", "salesforce_lead", "00Q5g0000004CIAEA2"),
        ("0035g0000004CEvAAM", "salesforce_contact", "0035g0000004CEvAAM"),
    ],
)
def test_valid_subjects(text, kind, value):
    subject = parse_subject(text, "#1")
    assert (subject.kind, subject.value, subject.problem) == (kind, value, "")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ann@", "not a valid e-mail address"),
        ("hubspot:abc", "a HubSpot contact id is digits only"),
        ("marketo:12", "unknown system 'marketo'"),
        ("0065g0000004CEvAAM", "neither a lead (00Q) nor a contact (003)"),
        ("Ann Lee", "neither an e-mail address nor a CRM id"),
    ],
)
def test_invalid_subjects_say_why(text, problem):
    subject = parse_subject(text, "#1")
    assert subject.kind is None
    assert problem in subject.problem


def test_a_file_of_requests_names_each_line(tmp_path):
    path = tmp_path / "requests.txt"
    path.write_text("# GDPR requests, week 12\n\nann@acme.io\nnot an id\nhubspot:7\n")
    found = gather(["bo@acme.io"], [path])
    assert [(s.where, s.kind) for s in found] == [
        ("#1", "email"),
        ("requests.txt line 3", "email"),
        ("requests.txt line 4", None),
        ("requests.txt line 5", "hubspot_contact"),
    ]


def test_an_unreadable_file_is_one_clear_error(tmp_path):
    path = tmp_path / "requests.txt"
    path.write_bytes(b"ann@acme.io\n\xff\xfe\n")
    with pytest.raises(RequestFileError, match=r"requests.txt is not UTF-8 text \(byte 12\)"):
        gather([], [path])
    with pytest.raises(RequestFileError, match="does not exist"):
        gather([], [tmp_path / "missing.txt"])


def test_keyed_hashes_depend_on_the_key_and_hide_the_value():
    subject = parse_subject("Ann@Acme.io", "#1")
    one = keys.keyed_hash("a" * 32, subject.key_text)
    assert one == keys.keyed_hash("a" * 32, "email:ann@acme.io")
    assert one != keys.keyed_hash("b" * 32, subject.key_text)
    assert "ann" not in one and len(one) == 64

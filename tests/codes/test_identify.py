from datetime import date

import pytest

from pubcredit.cli import main
from pubcredit.codes import CodeError
from pubcredit.codes.identify import identify_code

TODAY = date(2026, 11, 25)


def test_uscc_and_resident_id_are_told_apart() -> None:
    assert identify_code("91110000600037341l", today=TODAY).kind == "uscc"
    assert identify_code("11010519491231002X", today=TODAY).kind == "resident_id"


@pytest.mark.parametrize(
    ("code", "kind", "error_kind"),
    [
        ("91110000600037341X", "uscc", "check_character"),  # all digits + X, but a USCC with a wrong check
        ("110101199902300015", "resident_id", "birth_date"),
    ],
)
def test_the_reading_that_got_further_is_reported(code: str, kind: str, error_kind: str) -> None:
    with pytest.raises(CodeError) as err:
        identify_code(code, today=TODAY)
    assert err.value.kind == error_kind
    assert getattr(err.value, "code_kind", "") == kind


def test_cli_reports_the_uscc_check_character(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "check", "91110000600037341X", "91110000600037341L"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert "校验码应为 L" in out[0]
    assert out[1].startswith("OK")

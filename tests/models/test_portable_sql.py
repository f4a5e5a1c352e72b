import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_portable_sql.py"

spec = importlib.util.spec_from_file_location("check_portable_sql", SCRIPT)
assert spec is not None and spec.loader is not None
check = importlib.util.module_from_spec(spec)
sys.modules["check_portable_sql"] = check
spec.loader.exec_module(check)


def test_qualify_is_flagged_with_file_and_line(tmp_path, capsys):
    model = tmp_path / "models" / "stg_x.sql"
    model.parent.mkdir()
    model.write_text(
        "with\n\nsource as (\n    select * from {{ ref('x') }}\n)\n\n"
        "select * from source\nqualify row_number() over (partition by id order by at) = 1\n"
    )
    assert check.main([str(tmp_path / "models")]) == 1
    out = capsys.readouterr().out
    assert f"{model}:8:1: non-portable 'qualify'" in out


def test_every_forbidden_construct_is_caught(tmp_path):
    samples = {
        "qualify": "select 1 qualify true",
        "group by all": "select a, count(*) from t group  by\n all",
        "exclude": "select * exclude (a) from t",
        "::": "select a::int from t",
        "try_cast": "select try_cast(a as int) from t",
        "strftime": "select strftime(a, '%Y') from t",
        "strptime": "select strptime(a, '%Y') from t",
        "date_diff": "select date_diff('day', a, b) from t",
        "regexp_matches": "select regexp_matches(a, 'x') from t",
        "median(": "select median (a) from t",
        "arg_max": "select arg_max(a, b) from t",
        "max_by": "select max_by(a, b) from t",
        "count_if": "select count_if(a) from t",
        "epoch(": "select epoch(a) from t",
        "union without all/distinct": "select 1 union\n select 2",
        "double precision": "select cast(a as double  precision) from t",
    }
    assert set(samples) == set(check.FORBIDDEN)
    for construct, sql in samples.items():
        found = {f.construct for f in check.scan_text(sql, tmp_path / "m.sql")}
        assert construct in found, construct


def test_comments_strings_and_lookalikes_pass(tmp_path):
    sql = (
        "-- no qualify here, nor group by all\n"
        "{# try_cast is forbidden #}\n"
        "/* a::int\n   median(x) */\n"
        "select\n"
        "    is_excluded,\n"
        "    datediff_days,\n"
        "    '10:20::30 exclude' as label,\n"
        "    {{ dbt.datediff('a', 'b', 'day') }} as days_between,\n"
        "    {{ dbt.safe_cast('a', api.Column.translate_type('integer')) }} as a_int\n"
        "from t\n"
    )
    assert check.scan_text(sql, tmp_path / "m.sql") == []


def test_clean_folder_and_script_entry_point(tmp_path):
    (tmp_path / "ok.sql").write_text("select 1 as one\n")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 SQL file(s) checked" in result.stdout


def test_missing_path_is_an_error(tmp_path):
    assert check.main([str(tmp_path / "nope")]) == 2

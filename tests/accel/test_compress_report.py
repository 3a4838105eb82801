"""Report files, labels, overwrite refusal, the machine record and the CLI of ``accel compress``."""

import io
import json

import pytest

from accel import compress_cli
from accel.cli import main
from accel.compress import run_compression, unavailable_result
from accel.compress_cli import compress_command
from accel.compress_files import write_atomic
from accel.compress_markdown import markdown_report
from accel.compress_report import format_duration, format_ratio, headline
from accel.compress_spec import CompressionSpec, Implementation
from accel.machine import cpu_model, describe_machine

CALLS = {"naive": 0}


def naive_squares(xs):
    CALLS["naive"] += 1
    out = []
    for x in xs:
        out.append(x * x)
    return out


def tiny_spec(wrong=False):
    def ours(xs):
        out = [x * x for x in xs]
        if wrong and out:
            out[-1] += 1  # deliberately wrong
        return out

    return CompressionSpec(
        name="squares",
        task="square every integer",
        size_unit="integers",
        make_inputs=lambda n, seed: list(range(seed, seed + n)),
        implementations=(
            Implementation("loop", "naive", run=naive_squares),
            Implementation("comprehension", "baseline", run=lambda xs: [x * x for x in xs]),
            Implementation("ours", "ours", run=ours),
            Implementation("dask", "ours-dask", unavailable="no distributed version yet"),
        ),
        equal=lambda a, b: a == b,
        equality_rule="lists compared exactly",
        naive_sizes=(200, 400, 800),
        full_size=5000,
    )


def run_tiny(tmp_path, **kwargs):
    kwargs.setdefault("repeats", 1)
    return compress_command(
        ["squares"], out=str(tmp_path / "rep"), extra_specs={"squares": tiny_spec}, **kwargs
    )


def test_reports_are_written_complete_and_labelled(tmp_path, capsys):
    status, results, paths = run_tiny(tmp_path)
    assert status == 0
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == [
        "compress-squares.json",
        "compress-squares.md",
        "compress-squares.png",
    ]
    doc = json.loads(paths[".json"].read_text())
    assert doc["schema"] == "accel-compress/1"
    assert doc["status"] == "PASSED"
    assert doc["machine"]["libraries"]["numpy"]
    assert {"cpu_model", "usable_cores", "numba_threads", "python"} <= set(doc["machine"])
    (wl,) = doc["workloads"]
    labels = {row["implementation"]: row["label"] for row in wl["rows"]}
    assert labels == {
        "loop": "extrapolated",
        "comprehension": "measured",
        "ours": "measured",
        "dask": "",
    }
    assert wl["fit"]["p"] > 0 and len(wl["fit"]["sizes"]) == 3
    assert wl["naive_at_full_size"]["label"] == "extrapolated"
    assert all(check["equal"] for check in wl["checks"])
    dask_row = next(r for r in wl["rows"] if r["implementation"] == "dask")
    assert dask_row["note"] == "not available: no distributed version yet"

    md = paths[".md"].read_text()
    for text in (
        "**Status: PASSED**",
        "(extrapolated)",
        "| measured |",
        "### Naive fit",
        "### Equality checks",
        "not available: no distributed version yet",
        "## Machine",
    ):
        assert text in md
    matplotlib_image = pytest.importorskip("matplotlib.image")
    png = matplotlib_image.imread(io.BytesIO(paths[".png"].read_bytes()), format="png")
    assert png.shape[0] > 100 and png.shape[1] > 100
    out = capsys.readouterr()
    assert "squares: PASSED" in out.out
    assert "extrapolated" in out.out and "measured" in out.out
    assert "wrote" in out.err


def test_existing_reports_are_refused_before_any_work(tmp_path):
    run_tiny(tmp_path)
    before = (tmp_path / "rep" / "compress-squares.json").read_bytes()
    calls = CALLS["naive"]
    with pytest.raises(FileExistsError, match=r"report files already exist .* pass --overwrite"):
        run_tiny(tmp_path)
    assert CALLS["naive"] == calls  # refused before measuring anything
    assert (tmp_path / "rep" / "compress-squares.json").read_bytes() == before
    status, _, _ = run_tiny(tmp_path, overwrite=True)
    assert status == 0


def test_wrong_implementation_gives_failed_report_and_exit_status(tmp_path):
    status, results, paths = compress_command(
        ["squares"],
        out=str(tmp_path),
        repeats=1,
        extra_specs={"squares": lambda: tiny_spec(wrong=True)},
    )
    assert status == 1
    assert results[0].status == "FAILED"
    assert json.loads(paths[".json"].read_text())["status"] == "FAILED"
    md = paths[".md"].read_text()
    assert "**Status: FAILED**" in md and "**DIFFERENT**" in md and "ours differs from loop" in md


def test_unavailable_workload_gets_a_row(tmp_path):
    def broken():
        raise ImportError("workloads.fake is not installed")

    with pytest.warns(UserWarning, match="workload 'fake' is unavailable"):
        status, results, paths = compress_command(
            ["fake"], out=str(tmp_path), extra_specs={"fake": broken}
        )
    assert status == 1  # asked for by name, so its absence is an error
    assert results[0].status == "UNAVAILABLE"
    assert "workloads.fake is not installed" in paths[".md"].read_text()


def test_write_atomic_refuses_existing_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "r.json"
    write_atomic(target, b"one")
    with pytest.raises(FileExistsError, match=r"r.json already exists and overwrite is off"):
        write_atomic(target, b"two")
    assert target.read_bytes() == b"one"
    write_atomic(target, b"three", overwrite=True)
    assert target.read_bytes() == b"three"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (9.83, "9.83 s"),
        (31.0, "31 s"),
        (600.0, "10 min"),
        (5 * 3600.0, "5 h"),
        (169 * 86400.0, "169 days"),
        (3 * 365.25 * 86400, "3 years"),
        (None, "-"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("ratio", "text"),
    [(3.21, "3.2x"), (42.4, "42x"), (1.46e6, "1.5e6x"), (9.97e6, "1.0e7x"), (None, "-")],
)
def test_format_ratio(ratio, text):
    assert format_ratio(ratio) == text


def test_headline_reads_naive_to_ours_and_baseline():
    result = run_compression(tiny_spec(), repeats=1, progress=lambda line: None)
    text = headline(result)
    assert text.startswith("naive ")
    assert "(extrapolated) -> " in text
    assert "(measured, " in text
    assert "; comprehension " in text and "faster" in text
    md = markdown_report([result, unavailable_result("other", "not installed")], {"command": "x"})
    assert "## other: UNAVAILABLE" in md


def test_cpu_model_reads_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU 9000 @ 3GHz\n"
    )
    assert cpu_model(str(info)) == "Test CPU 9000 @ 3GHz"
    assert cpu_model(str(tmp_path / "missing"))  # falls back to something, never crashes
    assert describe_machine()["logical_cores"] >= 1


def test_compress_help_has_an_example(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["compress", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "example" in text
    assert "accel compress skymatch --target-days 169" in text
    assert "registered workloads: skymatch, weather" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--size", "0"], "--size must be positive; got '0'"),
        (["--target-days", "abc"], "--target-days must be a number; got 'abc'"),
        (
            ["--naive-sizes", "10,20"],
            "--naive-sizes must hold at least three distinct positive sizes",
        ),
    ],
)
def test_bad_options_name_the_option(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["compress", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_runs_a_workload_end_to_end(tmp_path, monkeypatch, capsys):
    real = compress_cli.load_specs
    monkeypatch.setattr(
        compress_cli,
        "load_specs",
        lambda names, extra=None: real(names, extra={"squares": tiny_spec}),
    )
    out = tmp_path / "cli"
    argv = ["compress", "squares", "--repeats", "1", "--out", str(out)]
    assert main(argv) == 0
    assert json.loads((out / "compress-squares.json").read_text())["command"].startswith(
        "accel compress squares --repeats 1"
    )
    assert main(argv) == 2  # refuses to overwrite: an error, not a traceback
    assert "pass --overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite", "--size", "100", "--target-days", "1"]) == 2
    assert "full_size and target_s cannot both be given" in capsys.readouterr().err


def test_fit_warning_flags_untrustworthy_fits():
    from accel.compress import WorkloadResult
    from accel.compress_fit import fit_power_law
    from accel.compress_report import fit_warning

    sizes = [100, 200, 400, 800]
    good = WorkloadResult(
        "w", "PASSED", expected_exponent=2.0, fit=fit_power_law(sizes, [1e-6 * n**2 for n in sizes])
    )
    assert fit_warning(good) is None
    noisy = WorkloadResult("w", "PASSED", fit=fit_power_law(sizes, [1.0, 9.0, 2.0, 30.0]))
    assert "R² = " in fit_warning(noisy) and "max relative residual" in fit_warning(noisy)
    linear = WorkloadResult(
        "w", "PASSED", expected_exponent=2.0, fit=fit_power_law(sizes, [1e-6 * n for n in sizes])
    )
    assert "p = 1.00 is far from the expected 2" in fit_warning(linear)

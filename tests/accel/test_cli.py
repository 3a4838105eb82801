import pytest

from accel.cli import build_parser, main


def test_unknown_command_lists_known_ones(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unknown command 'no-such-command'" in err
    assert "skymatch" in err


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "example" in capsys.readouterr().out


@pytest.mark.parametrize("command", build_parser().known_commands)
def test_every_command_help_has_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "example" in capsys.readouterr().out.lower()

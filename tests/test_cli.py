import io

from briefer.cli import StderrProgress


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_on_a_terminal_and_quiet_otherwise(monkeypatch):
    tty = FakeTTY()
    monkeypatch.setattr("sys.stderr", tty)
    progress = StderrProgress(verbose=False)
    progress.advance(1, 2, "report 000: 3 claims")
    assert "\r" in tty.getvalue() and "1/2" in tty.getvalue()
    progress.note("warning: reports/x.txt: skipped")
    assert tty.getvalue().endswith("warning: reports/x.txt: skipped\n")

    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)
    quiet = StderrProgress(verbose=False)
    quiet.advance(1, 2, "report 000")
    assert pipe.getvalue() == ""
    quiet.note("error: report 001 failed")
    assert pipe.getvalue() == "error: report 001 failed\n"
    StderrProgress(verbose=True).advance(2, 2, "report 001")
    assert pipe.getvalue().endswith("[2/2] report 001\n")

"""briefer's command line: parse flags, load config, run the pipeline, map
errors to exit codes. Heavy modules are imported inside commands so that
`briefer --help` stays fast.

Exit codes: 0 success · 1 unexpected error · 2 bad usage · 3 partial (some
reports failed; the sitrep was still written) · 4 bad input (reports folder,
date, config) · 5 model unavailable (every report failed) · 6 publishing failed · 130 interrupted (SIGINT) · 143 terminated (SIGTERM).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from . import __version__

EXIT_PARTIAL = 3
EXIT_INPUT = 4
EXIT_MODEL = 5
EXIT_PUBLISH = 6
EXIT_INTERRUPTED = 130  # SIGINT, as shells report it
EXIT_TERMINATED = 143  # SIGTERM


class Failure(click.ClickException):
    """One clear line on stderr and a meaningful exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        _say(f"briefer: error: {self.format_message()}")


def _say(message: str) -> None:
    from .redact import scrub

    click.echo(scrub(message), err=True)


class StderrProgress:
    """A one-line progress bar on a terminal; per-report lines only with -v.

    Warnings and errors always get a line of their own.
    """

    def __init__(self, *, verbose: bool) -> None:
        self.tty = sys.stderr.isatty()
        self.verbose = verbose
        self._drawn = False

    def _clear(self) -> None:
        if self._drawn:
            click.echo("\r\x1b[2K", err=True, nl=False)
            self._drawn = False

    def note(self, message: str) -> None:
        self._clear()
        click.echo(message, err=True)

    def advance(self, done: int, total: int, message: str) -> None:
        if self.verbose:
            self.note(f"[{done}/{total}] {message}")
        elif self.tty:
            filled = int(24 * done / max(total, 1))
            click.echo(f"\r\x1b[2K[{'#' * filled}{'.' * (24 - filled)}] {done}/{total} {message}"[:160], err=True, nl=False)
            self._drawn = True
            if done == total:
                self._clear()


def _parse_date(_ctx, _param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefer")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="Config file (default: ./briefer.toml, then ~/.config/briefer/config.toml).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """briefer turns a day's news reports into a daily situation report.

    Every claim keeps who said it, through whom, and a verbatim quote; claims
    are reconciled into matters (the model judges which claims and speakers
    belong together) and labelled corroborated or contested by rule, counting
    independent origins rather than outlets.

    With no OPENAI_API_KEY or OPENAI_BASE_URL set, briefer replays the recorded
    model answers in cassettes/ (the sample day works offline).
    """
    ctx.obj = {"config_path": config_path}


def _load(ctx: click.Context, flags: dict):
    from .config import ConfigError, load_config

    try:
        return load_config(flags, explicit_file=ctx.obj.get("config_path"))
    except ConfigError as exc:
        raise Failure(str(exc), EXIT_INPUT) from exc


@cli.command()
@click.option("--date", "day", required=True, callback=_parse_date, help="The day to report on, YYYY-MM-DD.")
@click.option("--reports", type=click.Path(path_type=Path, file_okay=False), help="Folder of reports [default: reports].")
@click.option("--out", "out", default="-", show_default=True, help="Where to write the Markdown sitrep; '-' for stdout.")
@click.option("--json", "json_out", help="Also write the day as JSON here; '-' for stdout.")
@click.option("--model", help="Model name to request [default: gpt-4.1-mini].")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Model requests in flight at once [default: 16; the client backs off by itself on rate limits].")
@click.option("--window-days", type=click.IntRange(0, 60), help="Days before DATE whose reports give context [default: 7].")
@click.option("--refresh", is_flag=True, help="Ignore the cache and ask the model again.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Where the model's answers are cached [default: the platform's user cache folder; see 'briefer cache'].")
@click.option("--cassette", type=click.Path(path_type=Path, dir_okay=False), help="Cassette to replay when no key is set [default: cassettes/sample-day.yaml].")
@click.option("--max-report-bytes", type=click.IntRange(1), help="Refuse report files larger than this [default: 1000000].")
@click.option("--profile", type=click.Path(path_type=Path, dir_okay=False), help="An optional story profile (TOML: origin aliases and camps) applied after the model's reconciling.")
@click.option("--post", "posts", multiple=True, metavar="TARGET", help="Also post to a wiki: git:URL_OR_PATH, mediawiki:API_URL, or a name from [publish.targets]. Repeatable.")
@click.option("--dry-run", is_flag=True, help="With --post: show what would change, change nothing.")
@click.option("--offline", is_flag=True, help="Replay the cassette even when OPENAI_API_KEY or OPENAI_BASE_URL is set.")
@click.option("--sample", is_flag=True, help="Run the sample day shipped with briefer (its reports and recorded answers; implies --offline), from any directory.")
@click.option("--batch", is_flag=True, default=None, help="Send the extraction requests as provider Batch jobs (about half the price; answers within 24 h). Ctrl-C leaves the jobs running; the same command resumes them.")
@click.option("-v", "--verbose", is_flag=True, help="A progress line per report, even when stderr is not a terminal.")
@click.pass_context
def daily(ctx, day, reports, out, json_out, model, concurrency, window_days, refresh, no_cache, cache_dir, cassette, max_report_bytes, profile, posts, dry_run, offline, sample, batch, verbose):
    """Build the daily sitrep for --date from the reports folder.

    The Markdown goes to --out (stdout by default) and is always written
    before any --post, so a failed post loses nothing.
    """
    if sample:
        from .assets import sample_day

        if reports or cassette:
            raise Failure("--sample brings its own reports and cassette: drop --reports and --cassette", 2)
        reports, cassette = sample_day()
        offline = True
    config = _load(ctx, {"reports": reports, "model": model, "concurrency": concurrency, "window_days": window_days, "cassette": cassette, "max_report_bytes": max_report_bytes, "profile": profile, "offline": offline or None, "cache_dir": cache_dir, "batch": batch})
    from .render import check_templates, ledger_path, render_json, render_ledger, render_markdown

    if out == "-" and json_out == "-":
        raise Failure("--out and --json cannot both go to stdout", 2)
    # Everything that could fail after the model calls is checked before them.
    for path in (out, json_out, None if out == "-" else ledger_path(out)):
        _check_writable(path)
    _template_step(lambda: check_templates(config.templates))
    run = _run_day(config, day, refresh=refresh, use_cache=not no_cache, progress=StderrProgress(verbose=verbose))
    ledger = None if out == "-" else ledger_path(out)
    markdown = _template_step(lambda: render_markdown(run.day, config.templates, ledger=Path(ledger).name if ledger else None))
    _write(out, markdown)
    if ledger:
        _write(ledger, _template_step(lambda: render_ledger(run.day, config.templates)))
    if json_out:
        _write(json_out, render_json(run.day))

    _post_all(run.day, posts, config, dry_run)
    if run.partial:
        _say(f"briefer: partial: {len(run.failed_reports)} report(s) failed: {', '.join(run.failed_reports)} (listed in the processing notes)")
        ctx.exit(EXIT_PARTIAL)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to", "posts", multiple=True, required=True, metavar="TARGET", help="git:URL_OR_PATH, mediawiki:API_URL, or a name from [publish.targets]. Repeatable.")
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@click.pass_context
def post(ctx, file, posts, dry_run):
    """Post an already-rendered day (the JSON twin written by --json) to a wiki.

    Markdown and wikitext are rendered again from the JSON, so report text is
    escaped for each wiki's own markup.
    """
    config = _load(ctx, {})
    from pydantic import ValidationError

    from .models import Day

    try:
        day = Day.model_validate_json(file.read_text("utf-8"))
    except (ValidationError, ValueError, UnicodeDecodeError) as exc:
        raise Failure(f"{file}: not a briefer day JSON (write one with 'briefer daily --json'): {str(exc).splitlines()[0]}", EXIT_INPUT) from exc
    _post_all(day, posts, config, dry_run)


@cli.command()
@click.option("--date", "day", required=True, callback=_parse_date, help="The day whose sitrep holds the id.")
@click.argument("ident", metavar="CLAIM_OR_MATTER_ID")
@click.option("--json", "json_in", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the day from this JSON twin instead of rebuilding it.")
@click.option("--reports", type=click.Path(path_type=Path, file_okay=False), help="Folder of reports [default: reports].")
@click.pass_context
def explain(ctx, day, ident, json_in, reports):
    """Say why claims share a matter, why speakers are one origin, and which
    rule gave a matter its label.

    Shows the model's reasons for grouping and for merging speakers, each
    claim's position and stance with its quote, and the rules code applied
    to decide corroborated or contested. Without
    --json the day is rebuilt from the cache (or the cassette), which makes
    no model call for a day already run.
    """
    from .explain import UnknownId
    from .explain import explain as explain_id
    from .models import Day

    if json_in is not None:
        from pydantic import ValidationError

        try:
            loaded = Day.model_validate_json(json_in.read_text("utf-8"))
        except (ValidationError, ValueError, UnicodeDecodeError) as exc:
            raise Failure(f"{json_in}: not a briefer day JSON (write one with 'briefer daily --json'): {str(exc).splitlines()[0]}", EXIT_INPUT) from exc
        if loaded.date != day:
            raise Failure(f"{json_in} is the sitrep for {loaded.date}, not {day}", EXIT_INPUT)
    else:
        config = _load(ctx, {"reports": reports})
        loaded = _run_day(config, day, refresh=False, use_cache=True, progress=StderrProgress(verbose=False)).day
    try:
        click.echo(explain_id(loaded, ident))
    except UnknownId:
        raise Failure(f"no claim or matter {ident!r} in the sitrep for {day} (ids look like C12 or M3)", EXIT_INPUT) from None


@cli.command()
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="The cache folder [default: the platform's user cache folder].")
@click.option("--clear", is_flag=True, help="Delete every cached answer.")
@click.pass_context
def cache(ctx, cache_dir, clear):
    """Show where the model's answers are cached and how much they hold; --clear empties it.

    The cache holds only what the model said; clearing it means the next run
    asks the model again (and pays for it).
    """
    import shutil

    config = _load(ctx, {"cache_dir": cache_dir})
    folder = config.cache_dir
    if folder is None:
        click.echo("the cache is off (cache_dir is empty in the config)")
        return
    entries = [p for p in folder.rglob("*.json") if p.is_file()] if folder.is_dir() else []
    size = sum(p.stat().st_size for p in entries)
    jobs = len(list((folder / "batches").glob("*.state"))) if (folder / "batches").is_dir() else 0
    waiting = f"; {jobs} batch job{'s' if jobs != 1 else ''} submitted and not yet collected" if jobs else ""
    if clear:
        if folder.is_dir():
            shutil.rmtree(folder)
        dropped = f"; {jobs} saved batch job id{'s' if jobs != 1 else ''} dropped (the jobs keep running at the provider, but a run no longer collects them)" if jobs else ""
        click.echo(f"cleared {folder}: {len(entries)} answers, {size / 1e6:.1f} MB{dropped}")
        return
    click.echo(f"{folder}: {len(entries)} cached answers, {size / 1e6:.1f} MB{waiting}" + (" (briefer daily --batch collects them)" if jobs else ""))


def _check_writable(path: str | None) -> None:
    if path in (None, "-"):
        return
    target = Path(path)
    if target.is_dir():
        raise Failure(f"{path} is a directory: give a file name", EXIT_INPUT)
    folder = target.parent
    if not folder.is_dir():
        raise Failure(f"cannot write {path}: the folder {folder} does not exist", EXIT_INPUT)
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise Failure(f"cannot write {path}: permission denied", EXIT_INPUT)


def _write(path: str, text: str) -> None:
    from .atomic import write_atomically

    if path == "-":
        click.echo(text, nl=False)
        return
    try:
        write_atomically(Path(path), text)
    except OSError as exc:
        raise Failure(f"cannot write {path} ({exc.strerror or exc}); the model's answers are cached, so a re-run costs no model call", EXIT_INPUT) from exc
    _say(f"wrote {path}")


def _template_step(step):
    """Run a rendering step; a broken user template is one line, not a traceback."""
    from .render import TemplateProblem

    try:
        return step()
    except TemplateProblem as exc:
        raise Failure(str(exc), EXIT_INPUT) from exc


def _post_all(day, posts: tuple[str, ...], config, dry_run: bool) -> None:
    if not posts:
        return
    from .publish import LEDGER_LINK, Page, PublishError, publisher_for
    from .render import render_ledger, render_ledger_wikitext, render_markdown, render_wikitext

    page = _template_step(lambda: Page(
        day=day.date.isoformat(), title=f"Sitrep {day.date.isoformat()}",
        markdown=render_markdown(day, config.templates, ledger=LEDGER_LINK),
        wikitext=render_wikitext(day, config.templates, ledger=LEDGER_LINK), summary=f"briefer: daily sitrep for {day.date.isoformat()}",
        ledger_markdown=render_ledger(day, config.templates), ledger_wikitext=render_ledger_wikitext(day, config.templates),
    ))
    failures = []
    for name in posts:
        target, settings = _target(name, config)
        try:
            result = publisher_for(target, settings).publish(page, dry_run=dry_run)
        except PublishError as exc:
            _say(f"briefer: error: {exc}")
            failures.append(name)
            continue
        verb = "would change" if dry_run and result.changed else "unchanged" if not result.changed else "posted"
        _say(f"briefer: {verb}: {result.target} {result.location}: {result.detail}")
    if failures:
        raise Failure(f"posting failed for {', '.join(failures)} (the local files were written)", EXIT_PUBLISH)


def _target(name: str, config) -> tuple[str, dict[str, str]]:
    """A target string and its settings, from the flag or [publish] in the config file."""
    target = config.publish.targets.get(name, name)
    kind = target.partition(":")[0]
    settings = config.publish.get(kind, {}) if kind in ("git", "mediawiki") else {}
    return target, settings


def _run_day(config, day: dt.date, *, refresh: bool, use_cache: bool, progress):
    from .batch import BatchJobError, BatchOptions, BatchRunner
    from .cache import DiskCache, NoCache
    from .extract import Extractor
    from .llm import LLMClient, ModelSettings
    from .pipeline import DailyRequest, NoReportsForDay, prep_threads, run_daily
    from .profile import ProfileError, StoryProfile
    from .prompting import PromptSet
    from .reconcile import ReconcileOptions, Reconciler
    from .synthesize import Synthesizer
    from .redact import scrub
    from .replay import CassetteError

    if not config.reports.is_dir():
        raise Failure(f"reports folder not found: {config.reports}", EXIT_INPUT)
    if config.batch and not config.live:
        raise Failure("--batch needs a live endpoint (OPENAI_API_KEY or OPENAI_BASE_URL): cassettes hold no batch jobs", 2)
    if config.batch and not (use_cache and config.cache_dir):
        raise Failure("--batch keeps its job ids and answers in the cache folder, to resume: drop --no-cache (or set cache_dir)", 2)
    settings = ModelSettings(
        # Replay names its own endpoint: the SDK would otherwise read OPENAI_BASE_URL from the environment.
        model=config.model, api_key=config.api_key if config.live else None,
        base_url=config.base_url if config.live else "https://replay.invalid/v1", timeout_s=config.timeout,
        replay=None if config.live else str(config.cassette),
        max_attempts=config.max_attempts, response_mode=config.response_mode, max_in_flight=config.concurrency,
        provenance=f"live: {config.model} at {scrub(config.base_url or 'the OpenAI API')}" if config.live else f"replay of {config.cassette}",
    )
    if config.live:
        _say(f"briefer: live mode: model {config.model} at {config.base_url or 'the OpenAI API'}")
    else:
        if not config.cassette.is_file():
            raise Failure(f"no API key or base URL set, and no cassette to replay at {config.cassette}: set OPENAI_API_KEY or OPENAI_BASE_URL", EXIT_MODEL)
        why = "--offline" if config.offline else "no OPENAI_API_KEY or OPENAI_BASE_URL set"
        _say(f"briefer: replay mode: {why}, replaying recorded answers from {config.cassette}")
    try:
        prompts = PromptSet(config.prompts)
    except (FileNotFoundError, ValueError) as exc:
        raise Failure(str(exc), EXIT_INPUT) from exc
    if use_cache and config.cache_dir:
        try:
            config.cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Failure(f"cannot create the cache folder {config.cache_dir} ({exc.strerror or exc}): fix it or pass --no-cache", EXIT_INPUT) from exc
        if not os.access(config.cache_dir, os.W_OK):
            raise Failure(f"the cache folder {config.cache_dir} is not writable: fix it or pass --no-cache", EXIT_INPUT)
    cache = DiskCache(config.cache_dir) if use_cache and config.cache_dir else NoCache()
    try:
        profile = StoryProfile.load(config.profile) if config.profile else None
    except ProfileError as exc:
        raise Failure(str(exc), EXIT_INPUT) from exc
    request = DailyRequest(
        date=day, reports_dir=config.reports, window_days=config.window_days, concurrency=config.concurrency,
        prep_threads=prep_threads(config.concurrency),
        refresh=refresh, max_report_bytes=config.max_report_bytes, mode=settings.provenance,
        priced_model=config.model, prices=config.prices,
    )
    try:
        client = LLMClient(settings)
    except CassetteError as exc:
        raise Failure(str(exc), EXIT_INPUT) from exc
    extractor = Extractor(client, prompts, cache)
    reconciler = Reconciler(client, prompts, cache, ReconcileOptions(concurrency=config.concurrency))
    try:
        batch = BatchRunner(client, config.cache_dir / "batches", BatchOptions(poll_s=config.batch_poll)) if config.batch else None
        run = run_daily(request, extractor, reconciler, progress, profile=profile, synthesizer=Synthesizer(client, prompts, cache), batch=batch)
    except NoReportsForDay as exc:
        raise Failure(str(exc), EXIT_MODEL if exc.failed else EXIT_INPUT) from exc
    except FileNotFoundError as exc:
        raise Failure(str(exc), EXIT_INPUT) from exc
    except BatchJobError as exc:
        raise Failure(str(exc), EXIT_MODEL) from exc
    _say(
        f"briefer: {len(run.day.sources)} reports, {len(run.day.claims)} claims, {len(run.day.matters)} matters, "
        f"{len(run.day.origins)} independent origins; {run.day.run_requests} model requests this run "
        f"({run.day.cached_answers} answers from cache)"
    )
    return run


def _stop(message: str, code: int) -> None:
    """Exit now, without waiting for model requests still in flight."""
    _say(message)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that outputs are left intact."""


def main() -> None:
    import signal

    def on_term(_signum, _frame):
        raise _Terminated

    signal.signal(signal.SIGTERM, on_term)
    try:
        code = cli(standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _stop("briefer: interrupted (files already written are complete; nothing half-written is left)", EXIT_INTERRUPTED)
    except _Terminated:
        _stop("briefer: terminated (files already written are complete; nothing half-written is left)", EXIT_TERMINATED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)

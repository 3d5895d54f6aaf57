import datetime as dt
import json
from pathlib import Path

import pytest

from briefer.ingest import ingest_folder, partition
from briefer.models import Report

SEEDS = Path(__file__).resolve().parents[1] / "reports"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_sample_corpus_dates_come_from_the_text():
    result = ingest_folder(SEEDS)
    dates = {r.id: (r.published, r.date_source) for r in result.reports}
    assert dates["000"] == (dt.date(2024, 12, 7), "text")
    assert dates["004"] == (dt.date(2024, 12, 5), "text")
    assert dates["002"] == (None, "none")
    assert result.notices == []


def test_sample_text_is_kept_as_is():
    result = ingest_folder(SEEDS)
    for report in result.reports:
        assert report.text == Path(report.path).read_text("utf-8")


def test_markdown_front_matter_gives_feed_metadata(tmp_path):
    write(tmp_path, "a.md", "---\noutlet: Example Times\npublished: 2024-12-06\ntitle: T\n---\nBody text here.\n")
    (report,) = ingest_folder(tmp_path).reports
    assert (report.outlet, report.published, report.date_source, report.title) == ("Example Times", dt.date(2024, 12, 6), "metadata", "T")
    assert report.text == "Body text here.\n"


def test_json_report(tmp_path):
    write(tmp_path, "b.json", json.dumps({"text": "Body.", "source": "Wire", "date": "2024-12-07T10:00:00Z", "url": "https://x"}))
    (report,) = ingest_folder(tmp_path).reports
    assert (report.outlet, report.published, report.url) == ("Wire", dt.date(2024, 12, 7), "https://x")


def test_html_article_text_is_extracted(tmp_path):
    body = " ".join(["Fighting continued near Homs on Saturday, residents said."] * 6)
    html = f"<html><head><title>Homs</title></head><body><nav>Home | World</nav><article><h1>Homs</h1><p>{body}</p></article><footer>(c) site</footer></body></html>"
    write(tmp_path, "c.html", html)
    (report,) = ingest_folder(tmp_path).reports
    assert "Fighting continued near Homs" in report.text
    assert "(c) site" not in report.text


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", "", "file is empty"),
        ("blank.txt", "  \n", "file is empty"),
        ("bin.txt", b"\x00\x01\x02abc", "looks binary"),
        ("bad.json", "{not json", "malformed JSON"),
        ("list.json", "[1, 2]", "must be an object"),
        ("notext.json", '{"title": "x"}', "no text field"),
        ("front.md", "---\ntitle: [unclosed\n---\nbody", "malformed front matter YAML"),
        ("open.md", "---\ntitle: x\nbody with no closing line", "no closing '---'"),
        ("img.png", b"\x89PNG", "unsupported file type"),
    ],
)
def test_bad_files_are_named_and_the_rest_still_ingested(tmp_path, name, content, message):
    write(tmp_path, "good.txt", "date 2024-12-07 A good report.")
    bad = write(tmp_path, name, content)
    result = ingest_folder(tmp_path)
    assert [r.id for r in result.reports] == ["good"]
    (notice,) = result.notices
    assert notice.subject == str(bad)
    assert message in notice.message
    assert "\n" not in notice.line()


def test_invalid_utf8_is_replaced_with_a_warning(tmp_path):
    write(tmp_path, "latin.txt", "date 2024-12-07 Caf\xe9 in Homs".encode("latin-1"))
    result = ingest_folder(tmp_path)
    (report,) = result.reports
    assert "\ufffd" in report.text
    assert "invalid UTF-8" in result.notices[0].message


def test_oversized_file_is_refused_with_its_size(tmp_path):
    write(tmp_path, "huge.txt", "x" * 2000)
    result = ingest_folder(tmp_path, max_bytes=1000)
    assert result.reports == []
    assert "2,000 bytes, over the 1,000-byte limit" in result.notices[0].message


def test_exact_duplicate_is_processed_once_and_listed(tmp_path):
    write(tmp_path, "001_a.txt", "date 2024-12-07 Same text.")
    write(tmp_path, "002_b.txt", "date 2024-12-07 Same text.")
    result = ingest_folder(tmp_path)
    assert [r.id for r in result.reports] == ["001"]
    assert "exact duplicate of report 001" in result.notices[0].message


def test_unparsable_metadata_date_falls_back_with_a_warning(tmp_path):
    write(tmp_path, "d.md", "---\npublished: last tuesday\n---\nBody.")
    result = ingest_folder(tmp_path)
    assert result.reports[0].published is None
    assert "unparsable date" in result.notices[0].message


def test_missing_folder_raises():
    with pytest.raises(FileNotFoundError, match="reports folder not found"):
        ingest_folder(Path("/nonexistent/briefer"))


def test_ids_fall_back_to_stems_when_prefixes_collide(tmp_path):
    write(tmp_path, "x_1.txt", "one")
    write(tmp_path, "x_2.txt", "two")
    assert sorted(r.id for r in ingest_folder(tmp_path).reports) == ["x_1", "x_2"]


def _report(rid: str, published: dt.date | None) -> Report:
    return Report(id=rid, path=rid, text="t", sha256=rid, published=published)


def test_partition_by_day_and_window():
    day = dt.date(2024, 12, 7)
    reports = [_report("a", day), _report("b", dt.date(2024, 12, 5)), _report("c", None), _report("d", dt.date(2024, 11, 1)), _report("e", dt.date(2024, 12, 8))]
    primary, context, undated, outside = partition(reports, day, 7)
    assert [r.id for r in primary] == ["a"]
    assert [r.id for r in context] == ["b"]
    assert [r.id for r in undated] == ["c"]
    assert [r.id for r in outside] == ["d", "e"]


def test_html_dates_come_only_from_explicit_markup(tmp_path):
    body = " ".join(["Residents left villages near Hama on Sunday, the council said."] * 6)
    write(tmp_path, "guess.html", f"<html><body><article><p>{body}</p></article><footer>Copyright 2024</footer></body></html>")
    write(tmp_path, "meta.html", f'<html><head><meta property="article:published_time" content="2024-12-08T09:00:00Z"></head><body><article><p>{body} More.</p></article></body></html>')
    dates = {r.id: (r.published, r.date_source) for r in ingest_folder(tmp_path).reports}
    assert dates["guess"] == (None, "none")
    assert dates["meta"] == (dt.date(2024, 12, 8), "metadata")


# ---- issue 12, items 1-3: ids never collide or shift; one bad file never ends the day


def test_colliding_ids_are_resolved_visibly_and_nothing_is_merged(tmp_path):
    write(tmp_path, "000_a.txt", "date 2024-12-07 first report.")
    write(tmp_path, "feed.json", '{"id": "000", "text": "second report."}')
    write(tmp_path, "update.txt", "third report.")
    write(tmp_path, "update.md", "fourth report.")
    result = ingest_folder(tmp_path)
    ids = [r.id for r in result.reports]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert {"000", "000-2", "update-txt", "update-md"} == set(ids)
    assert any("report id '000' is already taken" in n.message for n in result.notices)


def test_adding_a_file_never_renames_the_others(tmp_path):
    write(tmp_path, "001_a.txt", "one.")
    write(tmp_path, "002_b.txt", "two.")
    before = {r.path: r.id for r in ingest_folder(tmp_path).reports}
    write(tmp_path, "001_c.txt", "three.")  # shares a prefix with 001_a
    after = {r.path: r.id for r in ingest_folder(tmp_path).reports}
    assert after[str(tmp_path / "002_b.txt")] == before[str(tmp_path / "002_b.txt")] == "002"


def test_a_feed_id_with_markup_is_not_used(tmp_path):
    write(tmp_path, "x.json", '{"id": "[[Category:X]]\\nline", "text": "a report."}')
    (report,) = ingest_folder(tmp_path).reports
    assert report.id == "x"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("alias.md", "---\na: &a [x, x, x, x]\nb: [*a, *a, *a]\nc: [*b, *b, *b]\n---\nbody", "YAML aliases"),
        ("deep.json", "[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ],
)
def test_hostile_structure_is_refused_by_name(tmp_path, name, content, message):
    write(tmp_path, "good.txt", "date 2024-12-07 A good report.")
    write(tmp_path, name, content)
    result = ingest_folder(tmp_path)
    assert [r.id for r in result.reports] == ["good"] and message in result.notices[0].message


@pytest.mark.parametrize("value", ["2024-02-30", "2024-13-01"])
def test_an_impossible_date_in_front_matter_is_a_warning(tmp_path, value):
    write(tmp_path, "x.md", f"---\npublished: {value}\n---\nA report.")
    result = ingest_folder(tmp_path)
    assert result.reports[0].published is None and "unparsable date" in result.notices[0].message


def test_the_first_day_of_the_calendar_has_a_window():
    from briefer.ingest import window_start

    assert window_start(dt.date(1, 1, 3), 7) == dt.date.min


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("date 2024-12-07 root:x:0:0 a secret outside the folder.")
    (reports / "passwd.txt").symlink_to(secret)
    write(reports, "real.txt", "date 2024-12-07 A real report.")
    (reports / "alias.txt").symlink_to(reports / "real.txt")  # inside the folder: fine (a duplicate)
    result = ingest_folder(reports)
    assert [r.text for r in result.reports] == ["date 2024-12-07 A real report."]  # the link inside is an exact duplicate
    assert any("symbolic link to a file outside" in n.message and n.subject.endswith("passwd.txt") for n in result.notices)


def test_utf16_with_a_byte_order_mark_is_decoded(tmp_path):
    (tmp_path / "w.txt").write_bytes("date 2024-12-07 Un rapport en UTF-16, café.".encode("utf-16"))
    (report,) = ingest_folder(tmp_path).reports
    assert report.text.startswith("date 2024-12-07 Un rapport") and "café" in report.text

"""briefer must work on any story: no place, party or story in its code,
prompts, schema or templates. Story knowledge lives only in an optional
story profile (examples/) and in the test days."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The sample day's own names, and the names of the first build's story tables.
SAMPLE_STORY = re.compile(r"syria|daraa|deraa|assad|damascus|hama\b|homs|idlib|aleppo|hts\b|sohr", re.I)
WAR_ONLY = re.compile(r"\b(government|opposition)\b.*\b(government|opposition)\b|territorial_control|armed_group", re.I)


def shipped_files():
    for folder in ("briefer", "prompts", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".j2", ".toml", ".txt", ".md"):
                yield path


def test_no_story_names_in_code_prompts_or_templates():
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in shipped_files()
             for n, line in enumerate(p.read_text("utf-8").splitlines(), start=1) if SAMPLE_STORY.search(line)]
    assert found == []


def test_no_war_only_enums_in_the_response_schemas():
    import json

    from briefer.models import BlockJoinDraft, ReconcileDraft, ReportDraft

    for schema in (ReportDraft, ReconcileDraft, BlockJoinDraft):
        text = json.dumps(schema.model_json_schema())
        assert not WAR_ONLY.search(text), schema.__name__
